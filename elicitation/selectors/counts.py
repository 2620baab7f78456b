"""Vote and participation counts, cached for a few seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from elicitation.models import (
    Argument,
    Comparison,
    ModerationStatus,
    Participant,
    Ranking,
    Space,
    Statement,
    Vote,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


# Figures that many requests read and that may lag a few seconds: counting
# every vote of a large space (100k votes: ~150 ms on PostgreSQL) on each card
# or each 5-second poll would cost more than the votes themselves.
VOTE_COUNTS_TTL_S = 5
SPACE_COUNTS_TTL_S = 3


def _cache_key(space: Space, name: str) -> str:
    # created_at keeps keys of a deleted and re-created id (tests) apart.
    return f"elicitation:{name}:{space.pk}:{space.created_at.timestamp()}"


def _cached(key: str, ttl: int, compute: Callable[[], T]) -> T:
    """`compute()` through the cache; a cache that is down only costs the computation."""
    try:
        value = cache.get(key)
    except Exception:  # Redis errors come in many classes; never fail a page over a cache
        logger.warning("Cache unavailable for %s; computing directly.", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, ttl)
        except Exception:
            logger.warning("Cache unavailable for %s; not stored.", key, exc_info=True)
    return cast(T, value)


def _statement_vote_counts(space: Space) -> dict[int, int]:
    """{statement pk: number of latest votes}, at most VOTE_COUNTS_TTL_S old."""

    def compute() -> dict[int, int]:
        return dict(
            Vote.objects.filter(statement__space=space)
            .values("statement")
            .annotate(n=Count("pk"))
            .values_list("statement", "n")
        )

    return _cached(_cache_key(space, "vote-counts"), VOTE_COUNTS_TTL_S, compute)


@dataclass(frozen=True)
class Progress:
    voted: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.voted / self.total) if self.total else 0


def vote_progress(*, space: Space, participant: Participant | None) -> Progress:
    """How many accepted statements the participant has voted on, of how many.

    Two indexed COUNTs rather than one join over every vote of the space.
    """
    total = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).count()
    if participant is None:
        return Progress(0, total)
    voted = Vote.objects.filter(
        participant=participant, statement__status=ModerationStatus.ACCEPTED
    ).count()
    return Progress(voted, total)


def statements_with_counts(
    *, space: Space, status: str = ModerationStatus.ACCEPTED
) -> QuerySet[Statement]:
    """Statements (accepted unless asked) with agree / disagree / pass counts, in one query."""
    return (
        Statement.objects.filter(space=space, status=status)
        .annotate(
            agree=Count("votes", filter=Q(votes__value=1)),
            disagree=Count("votes", filter=Q(votes__value=-1)),
            passes=Count("votes", filter=Q(votes__value=0)),
        )
        .order_by("number")
    )


def statement_counts(*, statement: Statement) -> dict[str, int]:
    counts = Vote.objects.filter(statement=statement).aggregate(
        agree=Count("pk", filter=Q(value=1)),
        disagree=Count("pk", filter=Q(value=-1)),
        passes=Count("pk", filter=Q(value=0)),
    )
    return {k: v or 0 for k, v in counts.items()}


def space_counts(*, space: Space) -> dict[str, int]:
    """The live figures of the space page, at most SPACE_COUNTS_TTL_S old."""
    return _cached(
        _cache_key(space, "space-counts"), SPACE_COUNTS_TTL_S, lambda: _space_counts(space)
    )


def _space_counts(space: Space) -> dict[str, int]:
    return {
        "participants": Participant.objects.filter(space=space).count(),
        "statements": Statement.objects.filter(
            space=space, status=ModerationStatus.ACCEPTED
        ).count(),
        "votes": Vote.objects.filter(statement__space=space).count(),
        "comparisons": Comparison.objects.filter(participant__space=space).count(),
        "rankings": Ranking.objects.filter(participant__space=space).count(),
        "arguments": Argument.objects.filter(
            statement__space=space, status=ModerationStatus.ACCEPTED
        ).count(),
    }
