"""REST API routes of the aggregation app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from aggregation import apis, apis_report, views

app_name = "aggregation-api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("schemas/value-profile-1.json", views.value_profile_schema, name="schema-value-profile-1"),
    path("schemas/<str:name>", views.export_schema, name="schema-export"),
    path("profiles/compare/", apis.ProfileCompareApi.as_view(), name="profiles-compare"),
    path(
        "communities/<slug:slug>/profiles/",
        apis.CommunityProfilesApi.as_view(),
        name="community-profiles",
    ),
    path("spaces/<int:space_id>/map/", apis_report.SpaceMapApi.as_view(), name="space-map"),
    path(
        "spaces/<int:space_id>/dashboard/",
        apis_report.SpaceDashboardApi.as_view(),
        name="space-dashboard",
    ),
    path("spaces/<int:space_id>/runs/", apis.RunListCreateApi.as_view(), name="space-runs"),
    path("runs/<int:run_id>/", apis.RunDetailApi.as_view(), name="run-detail"),
    path("spaces/<int:space_id>/profiles/", apis.SpaceProfilesApi.as_view(), name="space-profiles"),
    path(
        "spaces/<int:space_id>/profiles/latest/",
        apis.ProfileLatestApi.as_view(),
        name="profile-latest",
    ),
    path(
        "spaces/<int:space_id>/profiles/<int:version>/",
        apis.ProfileVersionApi.as_view(),
        name="profile-version",
    ),
    path(
        "spaces/<int:space_id>/profiles/<int:version>/retract/",
        apis.ProfileRetractApi.as_view(),
        name="profile-retract",
    ),
    path("profiles/<int:profile_id>/", apis.ProfileDraftApi.as_view(), name="profile-draft"),
    path(
        "profiles/<int:profile_id>/editorial/",
        apis.ProfileEditApi.as_view(),
        name="profile-edit",
    ),
    path(
        "profiles/<int:profile_id>/publish/",
        apis.ProfilePublishApi.as_view(),
        name="profile-publish",
    ),
]
