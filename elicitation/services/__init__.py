"""Every write of the elicitation app, one module per domain.

spaces (create, edit, phase), participants, statements (propose, seed),
votes (the one vote writer), preferences (pairwise comparisons, rankings),
debate (arguments), moderation (statement/argument decisions, flags);
common holds the input rule and per-space counters; decisions the one
writer of the public decision log (`decision_log_append`).
Callers use `services.<entity>_<action>`; the names are re-exported here.

Permission checks happen in the callers through `elicitation.selectors`
(who may act); these services enforce the domain rules (what may happen):
the space accepts input, the activity is on, the statement is accepted, the
text is long enough, and so on. Rule violations raise `ValidationError`
(bad input, keyed by field) or an application error from `config.exceptions`
(`Conflict`: the space's state forbids it; `Forbidden`: the activity is off).
"""

from elicitation.services.common import (
    ACTIVITY_LABELS,
    MAX_STATEMENT_NUMBER,
)
from elicitation.services.debate import ARGUMENT_MIN_LENGTH, argument_post
from elicitation.services.decisions import REASON_MAX_LENGTH, decision_log_append
from elicitation.services.moderation import (
    FLAG_REASON_MAX_LENGTH,
    MODERATION_DECISIONS,
    argument_moderate,
    flag_create,
    flag_dismiss,
    statement_moderate,
)
from elicitation.services.participants import new_anon_token, participant_get_or_create
from elicitation.services.preferences import comparison_record, ranking_submit
from elicitation.services.similarity import (
    SimilarStatement,
    SimilarStatements,
    duplicate_clusters,
    near_duplicates,
    statement_merge,
    statements_embed_missing,
    statements_similar,
    statements_unembedded_count,
)
from elicitation.services.spaces import (
    SPACE_FIELDS,
    space_create,
    space_link_rotate,
    space_set_phase,
    space_update,
)
from elicitation.services.statements import (
    DuplicateStatement,
    statement_find_duplicate,
    statement_propose,
    statement_seed,
    statements_embed_later,
)
from elicitation.services.votes import (
    TokenVote,
    TokenVoteInput,
    VoteBatcher,
    VoteOutcome,
    plain_vote,
    vote_cast,
    votes_cast_for_anon_tokens,
)

__all__ = [
    "ACTIVITY_LABELS",
    "ARGUMENT_MIN_LENGTH",
    "FLAG_REASON_MAX_LENGTH",
    "MAX_STATEMENT_NUMBER",
    "MODERATION_DECISIONS",
    "REASON_MAX_LENGTH",
    "SPACE_FIELDS",
    "DuplicateStatement",
    "SimilarStatement",
    "SimilarStatements",
    "TokenVote",
    "TokenVoteInput",
    "VoteBatcher",
    "VoteOutcome",
    "argument_moderate",
    "argument_post",
    "comparison_record",
    "decision_log_append",
    "duplicate_clusters",
    "flag_create",
    "flag_dismiss",
    "near_duplicates",
    "new_anon_token",
    "participant_get_or_create",
    "plain_vote",
    "ranking_submit",
    "space_create",
    "space_link_rotate",
    "space_set_phase",
    "space_update",
    "statement_find_duplicate",
    "statement_merge",
    "statement_moderate",
    "statement_propose",
    "statement_seed",
    "statements_embed_later",
    "statements_embed_missing",
    "statements_similar",
    "statements_unembedded_count",
    "vote_cast",
    "votes_cast_for_anon_tokens",
]
