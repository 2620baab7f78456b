"""What every elicitation service shares: the refusal, the input rule, per-space counters, the decision log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from config.exceptions import Conflict, Forbidden
from elicitation.models import Space
from elicitation.selectors.access import ACTIVITY_LABELS, input_refusal

__all__ = ["ACTIVITY_LABELS"]

# Statement numbers are PositiveIntegerFields: a larger number names no
# statement, and the database overflows on it (the audit's 500s).
MAX_STATEMENT_NUMBER = 2**31 - 1


def statement_number_in_range(number: int) -> bool:
    return 0 <= number <= MAX_STATEMENT_NUMBER


User = AbstractBaseUser


def _require_input(space: Space, activity: str | None = None) -> None:
    """Refuse unless `space` takes input now (and `activity`, if named, is on): the one rule,
    `selectors.input_refusal`."""
    refusal = input_refusal(space, activity)
    if refusal is None:
        return
    if refusal.activity_off:
        raise Forbidden(refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


def _next_counter(space_id: int, field: str) -> int:
    """Hand out the next per-space number from `Space.<field>`; call inside a transaction.

    The conditional F() increment is a single UPDATE, which takes the row's
    write lock (PostgreSQL row lock, SQLite database write lock) until the
    transaction ends; the value read back afterwards is therefore ours alone,
    even when many participants join or propose at the same moment.
    """
    Space.objects.filter(pk=space_id).update(**{field: F(field) + 1})
    return int(Space.objects.filter(pk=space_id).values_list(field, flat=True).get())
