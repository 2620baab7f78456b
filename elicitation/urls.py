from django.urls import URLPattern, URLResolver, path

from elicitation.polis import views as polis_views
from elicitation.views import (
    debate,
    embed,
    moderation,
    preferences,
    spaces,
    standing,
    statements,
    votes,
)

app_name = "elicitation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("c/<slug:slug>/spaces/", spaces.community_spaces, name="community_spaces"),
    path("c/<slug:slug>/spaces/new/", spaces.space_create, name="space_create"),
    path("j/<str:token>/", spaces.space_join, name="join"),
    path("s/<int:space_id>/", spaces.space_detail, name="space"),
    path("s/<int:space_id>/embed/", embed.space_embed, name="embed"),
    path("s/<int:space_id>/embed/vote/", embed.embed_vote, name="embed_vote"),
    path("s/<int:space_id>/embed/propose/", embed.embed_propose, name="embed_propose"),
    path("embed.js", embed.embed_script, name="embed_script"),
    path("s/<int:space_id>/live/", spaces.space_live_counts, name="live_counts"),
    path("s/<int:space_id>/edit/", spaces.space_edit, name="space_edit"),
    path("s/<int:space_id>/phase/", spaces.space_phase, name="space_phase"),
    path("s/<int:space_id>/link/rotate/", spaces.space_link_rotate, name="space_link_rotate"),
    path("s/<int:space_id>/vote/", votes.vote, name="vote"),
    path("s/<int:space_id>/propose/", statements.statement_propose, name="propose"),
    path("s/<int:space_id>/statements/", statements.statement_list, name="statements"),
    path(
        "s/<int:space_id>/statements/<int:number>/", statements.statement_detail, name="statement"
    ),
    path(
        "s/<int:space_id>/statements/<int:number>/arguments/",
        debate.argument_create,
        name="argument_create",
    ),
    path("s/<int:space_id>/flag/", moderation.flag_create, name="flag"),
    path("s/<int:space_id>/pairwise/", preferences.pairwise, name="pairwise"),
    path("s/<int:space_id>/ranking/", preferences.ranking, name="ranking"),
    path("s/<int:space_id>/stand/", standing.where_you_stand, name="stand"),
    path("s/<int:space_id>/decisions/", moderation.decision_log, name="decisions"),
    path("s/<int:space_id>/moderation/", moderation.moderation_queue, name="moderation"),
    path("s/<int:space_id>/moderation/seed/", moderation.statement_seed, name="seed"),
    path(
        "s/<int:space_id>/moderation/statements/<int:number>/",
        moderation.statement_moderate,
        name="moderate_statement",
    ),
    path(
        "s/<int:space_id>/moderation/statements/<int:number>/merge/",
        moderation.statement_merge,
        name="merge_statement",
    ),
    path(
        "s/<int:space_id>/moderation/arguments/<int:argument_id>/",
        moderation.argument_moderate,
        name="moderate_argument",
    ),
    path(
        "s/<int:space_id>/moderation/flags/<int:flag_id>/dismiss/",
        moderation.flag_dismiss,
        name="dismiss_flag",
    ),
]

# Pol.is import and export.
urlpatterns += [
    path("c/<slug:slug>/import/polis/", polis_views.polis_import, name="polis_import"),
    path(
        "c/<slug:slug>/import/polis/<int:job_id>/",
        polis_views.polis_import_job,
        name="polis_import_job",
    ),
    path(
        "c/<slug:slug>/import/polis/<int:job_id>/decide/",
        polis_views.polis_import_job_decide,
        name="polis_import_job_decide",
    ),
    path("s/<int:space_id>/export/polis.zip", polis_views.polis_export, name="polis_export"),
]
