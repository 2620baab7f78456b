"""Every write of the communities app: accounts, communities, memberships,
invitations, segment answers and API tokens.

Services check permissions themselves (through the table in roles.py), so the
web views and the API cannot disagree. They raise:

- PermissionDenied when the actor's role does not allow the action,
- ValidationError (with field names where a field is at fault) for bad input
  or a state that forbids the change (the last owner leaving, ...),
- InvitationUnusable for expired, revoked or used-up invitations,
- Http404 for objects the actor may not know about.

Each runs in one transaction: either everything changes or nothing does.

One module per domain: accounts, communities, memberships, invitations,
segments, tokens; common holds the shared permission check and helpers.
Callers use `services.<entity>_<action>`; the names are re-exported here.
"""

from communities.services.accounts import account_settings_update, user_sign_up
from communities.services.communities import community_create, community_update
from communities.services.invitations import (
    INVITATION_MESSAGES,
    MAX_INVITATION_USES,
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_problem,
    invitation_revoke,
)
from communities.services.memberships import (
    membership_ban,
    membership_change_role,
    membership_join,
    membership_leave,
    membership_remove,
    membership_unban,
)
from communities.services.segments import (
    MAX_SEGMENT_CHOICES,
    MAX_SEGMENT_QUESTIONS,
    segment_answers_set,
    segment_question_create,
    segment_question_delete,
)
from communities.services.tokens import (
    MAX_ACTIVE_TOKENS,
    TOKEN_KEY_PREFIX,
    api_token_create,
    api_token_hash,
    api_token_revoke,
    api_token_touch,
)

__all__ = [
    "INVITATION_MESSAGES",
    "MAX_ACTIVE_TOKENS",
    "MAX_INVITATION_USES",
    "MAX_SEGMENT_CHOICES",
    "MAX_SEGMENT_QUESTIONS",
    "TOKEN_KEY_PREFIX",
    "InvitationUnusable",
    "account_settings_update",
    "api_token_create",
    "api_token_hash",
    "api_token_revoke",
    "api_token_touch",
    "community_create",
    "community_update",
    "invitation_accept",
    "invitation_create",
    "invitation_problem",
    "invitation_revoke",
    "membership_ban",
    "membership_change_role",
    "membership_join",
    "membership_leave",
    "membership_remove",
    "membership_unban",
    "segment_answers_set",
    "segment_question_create",
    "segment_question_delete",
    "user_sign_up",
]
