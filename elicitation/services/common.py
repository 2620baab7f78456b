"""What every elicitation service shares: the refusal, the input rule, per-space counters, the decision log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from communities.models import Membership
from elicitation.models import Argument, ModerationAction, Space, Statement
from elicitation.selectors.access import ACTIVITY_LABELS, input_refusal

__all__ = ["ACTIVITY_LABELS", "Refused"]

REASON_MAX_LENGTH = 1000
# Statement numbers are PositiveIntegerFields: a larger number names no
# statement, and the database overflows on it (the audit's 500s).
MAX_STATEMENT_NUMBER = 2**31 - 1


def statement_number_in_range(number: int) -> bool:
    return 0 <= number <= MAX_STATEMENT_NUMBER


User = AbstractBaseUser


class Refused(Exception):
    """The space's state forbids the action (closed, outside its schedule, activity off).

    `status` is the HTTP status callers should answer with.
    """

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _require_input(space: Space, activity: str | None = None) -> None:
    """Refuse unless `space` takes input now (and `activity`, if named, is on): the one rule,
    `selectors.input_refusal`."""
    refusal = input_refusal(space, activity)
    if refusal is not None:
        raise Refused(refusal.message, status=403 if refusal.activity_off else 409)


def _next_counter(space_id: int, field: str) -> int:
    """Hand out the next per-space number from `Space.<field>`; call inside a transaction.

    The conditional F() increment is a single UPDATE, which takes the row's
    write lock (PostgreSQL row lock, SQLite database write lock) until the
    transaction ends; the value read back afterwards is therefore ours alone,
    even when many participants join or propose at the same moment.
    """
    Space.objects.filter(pk=space_id).update(**{field: F(field) + 1})
    return int(Space.objects.filter(pk=space_id).values_list(field, flat=True).get())


def _actor_role(actor: Any, community_id: int) -> str:
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


def _log(
    *,
    space: Space,
    actor: Any,
    action: str,
    reason: str = "",
    statement: Statement | None = None,
    argument: Argument | None = None,
    detail: dict[str, Any] | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        space=space,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_role=_actor_role(actor, space.community_id),
        action=action,
        statement=statement,
        argument=argument,
        reason=reason[:REASON_MAX_LENGTH],
        detail=detail or {},
    )
    entry.full_clean(exclude=["space", "actor", "statement", "argument"])
    entry.save()
    return entry
