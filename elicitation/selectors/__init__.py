"""Reads of the elicitation app that cross a permission boundary, one module per domain.

access (who may see or act in a space, whether it takes input), votes (the next statement),
counts (cached vote and participation counts), statements (visible
statements, argument trees), preferences (the next pair, a ranking),
standing (where a participant stands), moderation (queue, decision log),
analysis (the latest stored result). Callers use `selectors.<name>`; the
names are re-exported here.
"""

from elicitation.selectors.access import (
    InputRefusal,
    LinkProof,
    SpaceAccess,
    community_get_for_user,
    community_role,
    input_refusal,
    participant_find,
    space_access,
    space_list_for_user,
    space_role,
    takes_input,
)
from elicitation.selectors.analysis import latest_analysis_result, latest_routing
from elicitation.selectors.counts import (
    SPACE_COUNTS_TTL_S,
    VOTE_COUNTS_TTL_S,
    Progress,
    space_counts,
    statement_counts,
    statements_with_counts,
    vote_progress,
)
from elicitation.selectors.moderation import (
    decision_detail_for_reader,
    decision_log,
    moderation_queue,
)
from elicitation.selectors.preferences import PairCandidate, pair_next, ranking_for
from elicitation.selectors.standing import STANDING_MIN_VOTES, Standing, where_you_stand
from elicitation.selectors.statements import ArgumentNode, argument_tree, statement_get_visible
from elicitation.selectors.translations import (
    ShownSpace,
    ShownText,
    TranslationProgress,
    shown_for,
    shown_text,
    space_shown,
    statement_shown,
    statement_texts_shown,
    statements_for_translation,
    statements_shown,
    translation_progress,
)
from elicitation.selectors.votes import statement_next

__all__ = [
    "SPACE_COUNTS_TTL_S",
    "STANDING_MIN_VOTES",
    "VOTE_COUNTS_TTL_S",
    "ArgumentNode",
    "InputRefusal",
    "LinkProof",
    "PairCandidate",
    "Progress",
    "ShownSpace",
    "ShownText",
    "SpaceAccess",
    "Standing",
    "TranslationProgress",
    "argument_tree",
    "community_get_for_user",
    "community_role",
    "decision_detail_for_reader",
    "decision_log",
    "input_refusal",
    "latest_analysis_result",
    "latest_routing",
    "moderation_queue",
    "pair_next",
    "participant_find",
    "ranking_for",
    "shown_for",
    "shown_text",
    "space_access",
    "space_counts",
    "space_list_for_user",
    "space_role",
    "space_shown",
    "statement_counts",
    "statement_get_visible",
    "statement_next",
    "statement_shown",
    "statement_texts_shown",
    "statements_for_translation",
    "statements_shown",
    "statements_with_counts",
    "takes_input",
    "translation_progress",
    "vote_progress",
    "where_you_stand",
]
