"""The public decision log: the one writer of its entries.

Every decision a space's people should be able to trace (moderation, phase
changes, imports, publishing and retracting value profiles) is appended here,
by the elicitation services, the aggregation services and the Pol.is import.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from communities.models import Membership
from elicitation.models import Argument, ModerationAction, Space, Statement

REASON_MAX_LENGTH = 1000


def _actor_role(actor: User | AnonymousUser | None, community_id: int) -> str:
    if actor is None or not actor.is_authenticated:
        return ""
    return (
        Membership.objects.filter(
            user=actor, community_id=community_id, status=Membership.Status.ACTIVE
        )
        .values_list("role", flat=True)
        .first()
        or ""
    )


def decision_log_append(
    *,
    space: Space,
    actor: User | AnonymousUser | None,
    action: str,
    reason: str = "",
    statement: Statement | None = None,
    argument: Argument | None = None,
    profile_version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> ModerationAction:
    """Append one entry to the space's decision log, with the actor's role at that moment.

    Call it inside the transaction of the decision it records. An anonymous
    or missing actor is logged as nobody; the reason is cut to what the log
    keeps.
    """
    entry = ModerationAction(
        space=space,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_role=_actor_role(actor, space.community_id),
        action=action,
        statement=statement,
        argument=argument,
        profile_version=profile_version,
        reason=reason[:REASON_MAX_LENGTH],
        detail=detail or {},
    )
    # The foreign keys come from rows this transaction holds; skip their lookups.
    entry.full_clean(exclude=["space", "actor", "statement", "argument"])
    entry.save()
    return entry
