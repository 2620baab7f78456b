"""What every elicitation service shares: the refusal, the input rule, per-space counters, the decision log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from config.exceptions import Conflict, Forbidden
from elicitation.models import Space

# Statement numbers are PositiveIntegerFields: a larger number names no
# statement, and the database overflows on it (the audit's 500s).
MAX_STATEMENT_NUMBER = 2**31 - 1


def statement_number_in_range(number: int) -> bool:
    return 0 <= number <= MAX_STATEMENT_NUMBER


User = AbstractBaseUser


ACTIVITY_LABELS = {
    "statements": "Statements and votes",
    "pairwise": "Pairwise comparison",
    "ranking": "Ranking",
    "debate": "Debate",
}


def _require_input(space: Space, activity: str | None = None) -> None:
    if not space.accepts_input():
        if space.phase == Space.Phase.CLOSED:
            raise Conflict("This space is closed; it accepts no new input.", code="space_closed")
        if space.phase == Space.Phase.DRAFT:
            raise Conflict("This space is not open yet.", code="space_not_open")
        now = timezone.now()
        if space.opens_at and now < space.opens_at:
            raise Conflict(
                f"This space opens at {space.opens_at:%Y-%m-%d %H:%M} UTC.", code="space_not_open"
            )
        raise Conflict(
            "This space's schedule has ended; it accepts no new input.", code="space_closed"
        )
    if activity and not getattr(space, f"{activity}_enabled"):
        raise Forbidden(
            f"{ACTIVITY_LABELS[activity]} is switched off in this space.", code="activity_off"
        )


def _next_counter(space_id: int, field: str) -> int:
    """Hand out the next per-space number from `Space.<field>`; call inside a transaction.

    The conditional F() increment is a single UPDATE, which takes the row's
    write lock (PostgreSQL row lock, SQLite database write lock) until the
    transaction ends; the value read back afterwards is therefore ours alone,
    even when many participants join or propose at the same moment.
    """
    Space.objects.filter(pk=space_id).update(**{field: F(field) + 1})
    return int(Space.objects.filter(pk=space_id).values_list(field, flat=True).get())
