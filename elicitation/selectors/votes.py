"""The next statement a participant is asked to vote on."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q

from elicitation.models import ModerationStatus, Participant, Space, Statement, Vote
from elicitation.selectors.counts import _statement_vote_counts


def _not_voted_by(participant: Participant | None) -> Q:
    if participant is None:
        return Q()
    return ~Q(Exists(Vote.objects.filter(participant=participant, statement=OuterRef("pk"))))


def statement_next(
    *, space: Space, participant: Participant | None, routing: Sequence[int] = ()
) -> Statement | None:
    """The next statement to vote on, never one `participant` already voted on.

    `routing` is the latest analysis's statement numbers by routing priority
    (aggregation/engine/routing.py; selectors.latest_routing): the first one still open to the
    participant wins; statements newer than the analysis are not in it and go
    first (they need votes most), lowest number first. Without an analysis,
    the statement with the fewest votes, then the lowest number.
    """
    candidates = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).filter(
        _not_voted_by(participant)
    )
    rows = dict(candidates.values_list("number", "pk"))
    if not rows:
        return None
    if routing:
        ranked = set(routing)
        unranked = [number for number in rows if number not in ranked]
        number = min(unranked) if unranked else next(n for n in routing if n in rows)
        return Statement.objects.get(pk=rows[number])
    counts = _statement_vote_counts(space)
    number = min(rows, key=lambda n: (counts.get(rows[n], 0), n))
    return Statement.objects.get(pk=rows[number])
