"""The next statement a participant is asked to vote on."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Exists, OuterRef, Q

from elicitation.models import ModerationStatus, Participant, Space, Statement, Vote
from elicitation.selectors.counts import _statement_vote_counts


def _priorities(result: dict[str, Any] | None) -> dict[int, float]:
    """`result["priorities"]` as {statement number: priority}; {} when missing or malformed."""
    raw = result.get("priorities") if result else None
    if not isinstance(raw, dict):
        return {}
    priorities: dict[int, float] = {}
    for key, value in raw.items():
        try:
            priorities[int(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return priorities


def _not_voted_by(participant: Participant | None) -> Q:
    if participant is None:
        return Q()
    return ~Q(Exists(Vote.objects.filter(participant=participant, statement=OuterRef("pk"))))


def statement_next(
    *, space: Space, participant: Participant | None, result: dict[str, Any] | None = None
) -> Statement | None:
    """The next statement to vote on, never one `participant` already voted on or wrote.

    (Authors have their implied agree on what they wrote, so it is voted on;
    the author filter also covers authors who have since changed that vote.)
    Someone who has voted on nothing yet never gets a meta statement (one
    about the conversation itself) first while any other is left.

    With an analysis, the highest routing priority (aggregation/engine/routing.py, computed by the
    engine) wins, ties broken by the lower number; statements newer than the
    analysis have no priority yet and go first (they need votes most). Without
    one, the statement with the fewest votes, then the lowest number.
    """
    candidates = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).filter(
        _not_voted_by(participant)
    )
    if participant is not None:
        candidates = candidates.exclude(author=participant)
    rows = list(candidates.values_list("pk", "number", "is_meta"))
    if not rows:
        return None
    newcomer = participant is None or not Vote.objects.filter(participant=participant).exists()
    if newcomer and not all(meta for _pk, _n, meta in rows):
        rows = [r for r in rows if not r[2]]
    priorities = _priorities(result)
    if priorities:
        pk = min(rows, key=lambda r: (-priorities.get(r[1], math.inf), r[1]))[0]
        return Statement.objects.get(pk=pk)
    counts = _statement_vote_counts(space)
    pk = min(rows, key=lambda r: (counts.get(r[0], 0), r[1]))[0]
    return Statement.objects.get(pk=pk)
