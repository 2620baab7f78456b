"""The next pair to compare and a participant's ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q

from elicitation.models import (
    Comparison,
    ModerationStatus,
    Participant,
    RankingEntry,
    Space,
    Statement,
    StatementEmbedding,
)


@dataclass(frozen=True)
class PairCandidate:
    number: int
    comparisons: int
    win_rate: float


def pair_next(
    *, space: Space, participant: Participant | None
) -> tuple[Statement, Statement] | None:
    """The next "which matters more?" pair for the participant, or None (< 2 statements).

    Heuristic, on counts only: take the statements compared least often
    (they tell us least), then among pairs of those prefer pairs this
    participant has not judged, with the fewest comparisons in total, then the
    closest smoothed win rates (wins+1)/(comparisons+2), i.e. the most
    uncertain outcome. Never the pair the participant judged last.
    """
    statements = {
        s.number: s
        for s in Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).only(
            "id", "number", "text", "space_id", "is_meta"
        )
        if not s.is_meta
    }
    if len(statements) < 2:
        return None
    totals: dict[int, int] = dict.fromkeys(statements, 0)
    wins: dict[int, int] = dict.fromkeys(statements, 0)
    by_pk = {s.pk: n for n, s in statements.items()}
    space_comparisons = Comparison.objects.filter(participant__space=space)
    for side, winning in (
        ("statement_a", Comparison.Choice.A),
        ("statement_b", Comparison.Choice.B),
    ):
        rows = space_comparisons.values(side).annotate(
            n=Count("pk"), w=Count("pk", filter=Q(choice=winning))
        )
        for row in rows:
            number = by_pk.get(row[side])
            if number is not None:
                totals[number] += row["n"]
                wins[number] += row["w"]
    judged: set[frozenset[int]] = set()
    last: frozenset[int] | None = None
    if participant is not None:
        mine = Comparison.objects.filter(participant=participant).order_by("-created_at", "-id")
        for i, (a, b) in enumerate(mine.values_list("statement_a", "statement_b")):
            if a in by_pk and b in by_pk:
                key = frozenset((by_pk[a], by_pk[b]))
                judged.add(key)
                if i == 0:
                    last = key
            elif i == 0:
                last = frozenset()
    rate = {n: (wins[n] + 1) / (totals[n] + 2) for n in statements}
    # Bounded work on big spaces: only the 24 least-compared statements.
    pool = sorted(statements, key=lambda n: (totals[n], n))[:24]
    # Two statements that say the same tell us nothing when compared.
    twins = _near_duplicate_pairs(space, {n: statements[n].text for n in pool})
    best: tuple[Any, ...] | None = None
    for i, x in enumerate(pool):
        for y in pool[i + 1 :]:
            key = frozenset((x, y))
            if key == last or key in twins:
                continue
            score = (key in judged, totals[x] + totals[y], abs(rate[x] - rate[y]), x, y)
            if best is None or score < best:
                best = score
    if best is None:
        return None
    first, second = best[3], best[4]
    # Alternate sides between rounds so neither position is always the lower number.
    if participant is not None and len(judged) % 2 == 1:
        first, second = second, first
    return statements[first], statements[second]


def _near_duplicate_pairs(space: Space, texts: dict[int, str]) -> set[frozenset[int]]:
    """Pairs among these statements (number -> text) that say the same (stored embeddings)."""
    from aggregation.engine.embedding import MODEL_NAME
    from aggregation.engine.similar import same_statement

    rows = list(
        StatementEmbedding.objects.filter(
            statement__space=space, statement__number__in=list(texts), model=MODEL_NAME
        ).values_list("statement__number", "vector")
    )
    if len(rows) < 2:
        return set()
    numbers = [n for n, _v in rows]
    matrix = np.frombuffer(b"".join(bytes(v) for _n, v in rows), dtype="<f4").reshape(len(rows), -1)
    sims = matrix @ matrix.T
    return {
        frozenset((numbers[i], numbers[j]))
        for i in range(len(numbers))
        for j in range(i + 1, len(numbers))
        if same_statement(float(sims[i, j]), texts[numbers[i]], texts[numbers[j]])
    }


def ranking_for(*, participant: Participant | None) -> list[Statement]:
    """The participant's current ballot, first choice first."""
    if participant is None:
        return []
    return [
        entry.statement
        for entry in RankingEntry.objects.filter(ranking__participant=participant)
        .select_related("statement")
        .order_by("position")
    ]
