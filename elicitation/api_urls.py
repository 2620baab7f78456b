"""REST API routes of the elicitation app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from elicitation.apis import (
    debate,
    moderation,
    preferences,
    spaces,
    statements,
    translations,
    votes,
)
from elicitation.polis.apis import SpacePolisExportApi

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "communities/<slug:slug>/spaces/",
        spaces.SpaceListCreateApi.as_view(),
        name="api-community-spaces",
    ),
    path("spaces/<int:space_id>/", spaces.SpaceDetailUpdateApi.as_view(), name="api-space"),
    path("spaces/<int:space_id>/phase/", spaces.SpacePhaseApi.as_view(), name="api-space-phase"),
    path(
        "spaces/<int:space_id>/participants/",
        spaces.ParticipantJoinApi.as_view(),
        name="api-participants",
    ),
    path(
        "spaces/<int:space_id>/statements/",
        statements.StatementListProposeApi.as_view(),
        name="api-statements",
    ),
    path(
        "spaces/<int:space_id>/statements/next/",
        votes.StatementNextApi.as_view(),
        name="api-statement-next",
    ),
    path(
        "spaces/<int:space_id>/statements/<int:number>/moderate/",
        moderation.StatementModerateApi.as_view(),
        name="api-statement-moderate",
    ),
    path(
        "spaces/<int:space_id>/translations/<str:language>/",
        translations.SpaceTranslationApi.as_view(),
        name="api-space-translation",
    ),
    path(
        "spaces/<int:space_id>/statements/<int:number>/translations/<str:language>/",
        translations.StatementTranslationApi.as_view(),
        name="api-statement-translation",
    ),
    path(
        "spaces/<int:space_id>/statements/<int:number>/arguments/",
        debate.ArgumentListCreateApi.as_view(),
        name="api-arguments",
    ),
    path(
        "spaces/<int:space_id>/pairs/next/", preferences.PairNextApi.as_view(), name="api-pair-next"
    ),
    path(
        "spaces/<int:space_id>/comparisons/",
        preferences.ComparisonCreateApi.as_view(),
        name="api-comparisons",
    ),
    path("spaces/<int:space_id>/ranking/", preferences.RankingApi.as_view(), name="api-ranking"),
    path("spaces/<int:space_id>/flags/", moderation.FlagListCreateApi.as_view(), name="api-flags"),
    path(
        "spaces/<int:space_id>/flags/<int:flag_id>/dismiss/",
        moderation.FlagDismissApi.as_view(),
        name="api-flag-dismiss",
    ),
    path(
        "spaces/<int:space_id>/arguments/<int:argument_id>/moderate/",
        moderation.ArgumentModerateApi.as_view(),
        name="api-argument-moderate",
    ),
    path(
        "spaces/<int:space_id>/decisions/",
        moderation.DecisionListApi.as_view(),
        name="api-decisions",
    ),
]

# Pol.is export.
urlpatterns += [
    path(
        "spaces/<int:space_id>/export/polis.zip",
        SpacePolisExportApi.as_view(),
        name="api-space-export-polis",
    ),
]
