"""Every write of the communities app: accounts, communities, memberships,
invitations, segment answers and API tokens.

Who may act is decided before a service runs, by the selector the view or
API calls (`selectors.community_get_for_action`: 404 when the community is
hidden, 403 when the role does not allow the action); the services trust it
and enforce the domain rules: nobody acts on or grants a role above their
own, the last owner stays, a banned person cannot join. They raise:

- Django's ValidationError (keyed by field) for bad input,
- the application errors of config.exceptions otherwise: Forbidden (a rule
  says no to this person: banned, private, above your role), Conflict (the
  state forbids it: already a member, the last owner, already revoked),
  Invalid, NotFound, and InvitationUnusable (a Gone) for expired, revoked or
  used-up invitations; each with a machine `code`.

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
