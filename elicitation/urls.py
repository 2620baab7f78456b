from django.urls import URLPattern, URLResolver, path

from elicitation import views
from elicitation.polis import views as polis_views

app_name = "elicitation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("c/<slug:slug>/spaces/", views.community_spaces, name="community_spaces"),
    path("c/<slug:slug>/spaces/new/", views.space_create, name="space_create"),
    path("j/<str:token>/", views.space_join, name="join"),
    path("s/<int:space_id>/", views.space_detail, name="space"),
    path("s/<int:space_id>/live/", views.space_live_counts, name="live_counts"),
    path("s/<int:space_id>/edit/", views.space_edit, name="space_edit"),
    path("s/<int:space_id>/phase/", views.space_phase, name="space_phase"),
    path("s/<int:space_id>/vote/", views.vote, name="vote"),
    path("s/<int:space_id>/propose/", views.statement_propose, name="propose"),
    path("s/<int:space_id>/statements/", views.statement_list, name="statements"),
    path("s/<int:space_id>/statements/<int:number>/", views.statement_detail, name="statement"),
    path(
        "s/<int:space_id>/statements/<int:number>/arguments/",
        views.argument_create,
        name="argument_create",
    ),
    path("s/<int:space_id>/flag/", views.flag_create, name="flag"),
    path("s/<int:space_id>/pairwise/", views.pairwise, name="pairwise"),
    path("s/<int:space_id>/ranking/", views.ranking, name="ranking"),
    path("s/<int:space_id>/stand/", views.where_you_stand, name="stand"),
    path("s/<int:space_id>/decisions/", views.decision_log, name="decisions"),
    path("s/<int:space_id>/moderation/", views.moderation_queue, name="moderation"),
    path("s/<int:space_id>/moderation/seed/", views.statement_seed, name="seed"),
    path(
        "s/<int:space_id>/moderation/statements/<int:number>/",
        views.statement_moderate,
        name="moderate_statement",
    ),
    path(
        "s/<int:space_id>/moderation/arguments/<int:argument_id>/",
        views.argument_moderate,
        name="moderate_argument",
    ),
    path(
        "s/<int:space_id>/moderation/flags/<int:flag_id>/dismiss/",
        views.flag_dismiss,
        name="dismiss_flag",
    ),
]

# Pol.is import and export.
urlpatterns += [
    path("c/<slug:slug>/import/polis/", polis_views.polis_import, name="polis_import"),
    path("s/<int:space_id>/export/polis.zip", polis_views.polis_export, name="polis_export"),
]
