"""REST API routes of the elicitation app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from elicitation import apis
from elicitation.apis_polis import SpacePolisExportApi

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "communities/<slug:slug>/spaces/",
        apis.SpaceListCreateApi.as_view(),
        name="api-community-spaces",
    ),
    path("spaces/<int:space_id>/", apis.SpaceDetailUpdateApi.as_view(), name="api-space"),
    path("spaces/<int:space_id>/phase/", apis.SpacePhaseApi.as_view(), name="api-space-phase"),
    path(
        "spaces/<int:space_id>/participants/",
        apis.ParticipantJoinApi.as_view(),
        name="api-participants",
    ),
    path(
        "spaces/<int:space_id>/statements/",
        apis.StatementListProposeApi.as_view(),
        name="api-statements",
    ),
    path(
        "spaces/<int:space_id>/statements/next/",
        apis.StatementNextApi.as_view(),
        name="api-statement-next",
    ),
    path(
        "spaces/<int:space_id>/statements/<int:number>/moderate/",
        apis.StatementModerateApi.as_view(),
        name="api-statement-moderate",
    ),
    path(
        "spaces/<int:space_id>/statements/<int:number>/arguments/",
        apis.ArgumentListCreateApi.as_view(),
        name="api-arguments",
    ),
    path("spaces/<int:space_id>/pairs/next/", apis.PairNextApi.as_view(), name="api-pair-next"),
    path(
        "spaces/<int:space_id>/comparisons/",
        apis.ComparisonCreateApi.as_view(),
        name="api-comparisons",
    ),
    path("spaces/<int:space_id>/ranking/", apis.RankingApi.as_view(), name="api-ranking"),
    path("spaces/<int:space_id>/flags/", apis.FlagListCreateApi.as_view(), name="api-flags"),
    path(
        "spaces/<int:space_id>/flags/<int:flag_id>/dismiss/",
        apis.FlagDismissApi.as_view(),
        name="api-flag-dismiss",
    ),
    path(
        "spaces/<int:space_id>/arguments/<int:argument_id>/moderate/",
        apis.ArgumentModerateApi.as_view(),
        name="api-argument-moderate",
    ),
    path("spaces/<int:space_id>/decisions/", apis.DecisionListApi.as_view(), name="api-decisions"),
]

# Pol.is export.
urlpatterns += [
    path(
        "spaces/<int:space_id>/export/polis.zip",
        SpacePolisExportApi.as_view(),
        name="api-space-export-polis",
    ),
]
