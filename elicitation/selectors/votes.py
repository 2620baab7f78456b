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
    """The next statement to vote on, never one `participant` already voted on.

    With an analysis, the highest routing priority (aggregation/engine/routing.py, computed by the
    engine) wins, ties broken by the lower number; statements newer than the
    analysis have no priority yet and go first (they need votes most). Without
    one, the statement with the fewest votes, then the lowest number.
    """
    candidates = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).filter(
        _not_voted_by(participant)
    )
    priorities = _priorities(result)
    if priorities:
        rows = list(candidates.values_list("pk", "number"))
        if not rows:
            return None
        pk, _ = min(rows, key=lambda r: (-priorities.get(r[1], math.inf), r[1]))
        return Statement.objects.get(pk=pk)
    rows = list(candidates.values_list("pk", "number"))
    if not rows:
        return None
    counts = _statement_vote_counts(space)
    pk, _ = min(rows, key=lambda r: (counts.get(r[0], 0), r[1]))
    return Statement.objects.get(pk=pk)
