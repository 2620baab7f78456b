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
    """The next statement to vote on, never one `participant` already voted on or wrote.

    (Authors have their implied agree on what they wrote, so it is voted on;
    the author filter also covers authors who have since changed that vote.)
    Someone who has voted on nothing yet never gets a meta statement (one
    about the conversation itself) first while any other is left.

    `routing` is the latest analysis's statement numbers by routing priority
    (aggregation/engine/routing.py; selectors.latest_routing): the first one still open to the
    participant wins; statements newer than the analysis are not in it and go
    first (they need votes most), lowest number first. Without an analysis,
    the statement with the fewest votes, then the lowest number.
    """
    candidates = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).filter(
        _not_voted_by(participant)
    )
    if participant is not None:
        candidates = candidates.exclude(author=participant)
    found = list(candidates.values_list("number", "pk", "is_meta"))
    if not found:
        return None
    newcomer = participant is None or not Vote.objects.filter(participant=participant).exists()
    if newcomer and not all(meta for _n, _pk, meta in found):
        found = [r for r in found if not r[2]]
    rows = {number: pk for number, pk, _meta in found}
    if routing:
        ranked = set(routing)
        unranked = [number for number in rows if number not in ranked]
        number = min(unranked) if unranked else next(n for n in routing if n in rows)
        return Statement.objects.get(pk=rows[number])
    counts = _statement_vote_counts(space)
    number = min(rows, key=lambda n: (counts.get(rows[n], 0), n))
    return Statement.objects.get(pk=rows[number])
