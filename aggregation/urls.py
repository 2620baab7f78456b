from django.urls import URLPattern, URLResolver, path

from aggregation import views, views_report

app_name = "aggregation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("s/<int:space_id>/analysis/", views.space_analysis, name="space-analysis"),
    path("s/<int:space_id>/analysis/run/", views.run_request, name="run-request"),
    path("analysis/runs/<int:run_id>/", views.run_detail, name="run"),
    path("s/<int:space_id>/report/", views_report.report_page, name="report"),
    path("s/<int:space_id>/dashboard/", views_report.dashboard_page, name="dashboard"),
    path(
        "s/<int:space_id>/dashboard/moderate/",
        views_report.dashboard_moderate,
        name="dashboard-moderate",
    ),
    path("s/<int:space_id>/profile/", views.profile_page, name="profile"),
    path(
        "s/<int:space_id>/profile/v<int:version>/",
        views.profile_page,
        name="profile-version",
    ),
    path("profiles/compare/", views.profile_compare, name="profile-compare"),
    path("profiles/<int:profile_id>/review/", views.profile_review, name="profile-review"),
    path("profiles/<int:profile_id>/edit/", views.profile_edit, name="profile-edit"),
    path("profiles/<int:profile_id>/publish/", views.profile_publish, name="profile-publish"),
    path("profiles/<int:profile_id>/retract/", views.profile_retract, name="profile-retract"),
]
