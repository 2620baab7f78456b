"""Ranked ballots: one pairwise matrix, six rules, and where they disagree.

A ballot lists up to k candidates (statements), best first. Candidates it
does not list are below every listed one and tied with each other. A ballot
may not list a candidate twice (ties between listed candidates are not
supported) nor an unknown candidate: both raise EngineInputError naming the
ballot. An empty ballot is allowed and counts for nothing.

P[a, b] = number of ballots that put a above b. Every rule but instant
runoff reads only P:

- Borda: score(a) = sum over b of P[a, b], the number of (ballot, rival)
  pairs a beats. For a complete ranking of n candidates this is the classic
  n - 1 - position count; an unlisted candidate earns nothing on that ballot.
- Copeland: one point per rival beaten head to head (P[a,b] > P[b,a]),
  half a point per head-to-head tie.
- Schulze: strongest paths over winning votes (d[a,b] = P[a,b] when
  P[a,b] > P[b,a], else 0); a is above b when its strongest path to b is
  stronger than b's to a. Candidates are ordered by how many they are above.
- Ranked Pairs (Tideman): head-to-head wins sorted by margin, then winning
  votes, then candidate index; each is locked in unless it would close a
  cycle. Candidates are ordered by how many others they reach in the locked
  graph.
- Kemeny-Young: the ordering that agrees with the most (ballot, pair)
  preferences, found exactly by dynamic programming over subsets. Exact only
  up to KEMENY_MAX_CANDIDATES; above that the rule is refused with a reason.
- Instant runoff reads the ballots: the candidate with the fewest first
  preferences among those remaining is eliminated and its ballots pass to
  their next remaining choice, until one candidate has a majority of the
  ballots still in play; the ordering is the reverse order of elimination.
  Candidates with no first preferences at all are eliminated together.

Ties within any rule are broken by the lower candidate index (for instant
runoff: fewer Borda points, then the higher index goes first), so the result
is deterministic; the comparison lists where the rules disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from aggregation.engine.votes import EngineInputError

KEMENY_MAX_CANDIDATES = 10
# Schulze and Ranked Pairs cost O(n^3) in time; past this they are refused
# rather than stalling a worker.
CUBIC_MAX_CANDIDATES = 500
CONDORCET_RULES = ("copeland", "schulze", "ranked_pairs", "kemeny_young")


@dataclass(frozen=True)
class RuleResult:
    rule: str
    ordering: tuple[int, ...]
    scores: tuple[float, ...]
    refused: str | None = None

    @property
    def winner(self) -> int | None:
        return self.ordering[0] if self.ordering else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "winner": self.winner,
            "ordering": list(self.ordering),
            "scores": list(self.scores),
            "refused": self.refused,
        }


@dataclass(frozen=True)
class RankingResult:
    n_candidates: int
    n_ballots: int
    preference: tuple[tuple[int, ...], ...]
    condorcet_winner: int | None
    rules: tuple[RuleResult, ...]
    comparison: dict[str, Any]
    note: str | None

    def rule(self, name: str) -> RuleResult:
        return next(r for r in self.rules if r.rule == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_candidates": self.n_candidates,
            "n_ballots": self.n_ballots,
            "preference": [list(row) for row in self.preference],
            "condorcet_winner": self.condorcet_winner,
            "rules": {r.rule: r.to_dict() for r in self.rules},
            "comparison": self.comparison,
            "note": self.note,
        }


def _padded_ballots(
    ballots: Sequence[Sequence[int]], n: int, max_ranked: int | None
) -> NDArray[np.int64]:
    """Ballots as a (B, L) array padded with -1, after validation."""
    lengths = np.array([len(b) for b in ballots], dtype=np.int64)
    width = int(lengths.max(initial=0))
    if max_ranked is not None and width > max_ranked:
        k = int(np.flatnonzero(lengths > max_ranked)[0])
        raise EngineInputError(
            f"ballot {k} ranks {lengths[k]} candidates; at most {max_ranked} allowed"
        )
    out = np.full((len(ballots), width), -1, dtype=np.int64)
    try:
        for k, b in enumerate(ballots):
            out[k, : len(b)] = b
    except (TypeError, ValueError, OverflowError) as exc:
        raise EngineInputError(f"ballot {k} holds something that is not a candidate index") from exc
    listed = np.arange(width)[None, :] < lengths[:, None]
    bad = listed & ((out < 0) | (out >= n))
    if bad.any():
        k = int(np.flatnonzero(bad.any(axis=1))[0])
        raise EngineInputError(f"ballot {k} names an unknown candidate (valid: 0..{n - 1})")
    if width > 1:
        # Distinct negative fillers so padding never looks like a repeat.
        ordered = np.sort(np.where(listed, out, -1 - np.arange(width)), axis=1)
        if np.any(ordered[:, 1:] == ordered[:, :-1]):
            k = int(np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))[0])
            raise EngineInputError(
                f"ballot {k} lists a candidate twice; ties are not supported, list each candidate once, best first"
            )
    return out


def preference_matrix(padded: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """P[a, b] = ballots ranking a above b (unlisted below listed, tied)."""
    n_ballots, width = padded.shape
    listed = padded >= 0
    counts = np.zeros(n * n, dtype=np.int64)
    # Listed above listed: every (earlier, later) position pair.
    for i in range(width):
        for j in range(i + 1, width):
            both = listed[:, i] & listed[:, j]
            counts += np.bincount(padded[both, i] * n + padded[both, j], minlength=n * n)
    pref = counts.reshape(n, n)
    # Listed above unlisted: ballots listing a, minus those listing a and b.
    rows, cols = np.nonzero(listed)
    onehot = sp.csr_array(
        (np.ones(rows.size, dtype=np.int64), (rows, padded[rows, cols])), shape=(n_ballots, n)
    )
    listed_count = np.asarray(onehot.sum(axis=0)).ravel()
    both_listed = (onehot.T @ onehot).toarray()
    pref += listed_count[:, None] - both_listed
    np.fill_diagonal(pref, 0)
    return pref


def _order_by(scores: NDArray[np.float64]) -> tuple[int, ...]:
    # Higher score first; ties by lower index (lexsort: last key is primary).
    return tuple(int(i) for i in np.lexsort((np.arange(scores.size), -scores)))


def borda(pref: NDArray[np.int64]) -> RuleResult:
    scores = pref.sum(axis=1).astype(np.float64)
    return RuleResult("borda", _order_by(scores), tuple(scores.tolist()))


def copeland(pref: NDArray[np.int64]) -> RuleResult:
    margin = pref - pref.T
    off_diag = ~np.eye(pref.shape[0], dtype=bool)
    scores = (margin > 0).sum(axis=1) + 0.5 * ((margin == 0) & off_diag).sum(axis=1)
    return RuleResult("copeland", _order_by(scores.astype(np.float64)), tuple(scores.tolist()))


def schulze(pref: NDArray[np.int64]) -> RuleResult:
    n = pref.shape[0]
    if n > CUBIC_MAX_CANDIDATES:
        return RuleResult(
            "schulze", (), (), f"Schulze is limited to {CUBIC_MAX_CANDIDATES} candidates; got {n}"
        )
    strength = np.where(pref > pref.T, pref, 0)
    for k in range(n):
        # Widest path through k: min of the two legs, keep the stronger.
        np.maximum(strength, np.minimum(strength[:, k, None], strength[None, k, :]), out=strength)
    np.fill_diagonal(strength, 0)
    scores = (strength > strength.T).sum(axis=1).astype(np.float64)
    return RuleResult("schulze", _order_by(scores), tuple(scores.tolist()))


def ranked_pairs(pref: NDArray[np.int64]) -> RuleResult:
    n = pref.shape[0]
    if n > CUBIC_MAX_CANDIDATES:
        return RuleResult(
            "ranked_pairs",
            (),
            (),
            f"Ranked Pairs is limited to {CUBIC_MAX_CANDIDATES} candidates; got {n}",
        )
    margin = pref - pref.T
    a, b = np.nonzero(margin > 0)
    order = np.lexsort((b, a, -pref[a, b], -margin[a, b]))
    # reach[x, y]: x is above y through locked edges (x reaches y).
    reach = np.eye(n, dtype=bool)
    for k in order:
        win, lose = int(a[k]), int(b[k])
        if reach[lose, win] or reach[win, lose]:
            continue  # would close a cycle, or already implied
        # Everyone reaching `win` now reaches everything `lose` reaches.
        reach[reach[:, win]] |= reach[lose]
    scores = (reach.sum(axis=1) - 1).astype(np.float64)
    return RuleResult("ranked_pairs", _order_by(scores), tuple(scores.tolist()))


def kemeny_young(pref: NDArray[np.int64]) -> RuleResult:
    n = pref.shape[0]
    if n > KEMENY_MAX_CANDIDATES:
        return RuleResult(
            "kemeny_young",
            (),
            (),
            f"Kemeny-Young is computed exactly only up to {KEMENY_MAX_CANDIDATES} candidates; got {n}",
        )
    full = (1 << n) - 1
    # best[mask]: largest agreement placing the set `mask` on top, in some order.
    best = np.full(1 << n, -1, dtype=np.int64)
    choice = np.zeros(1 << n, dtype=np.int64)
    best[0] = 0
    bits = [1 << c for c in range(n)]
    for mask in range(1 << n):
        if best[mask] < 0:
            continue
        for c in range(n):
            if mask & bits[c]:
                continue
            rest = full & ~mask & ~bits[c]
            gain = int(sum(int(pref[c, d]) for d in range(n) if rest & bits[d]))
            new = mask | bits[c]
            value = int(best[mask]) + gain
            if value > best[new]:  # strict: the lower index wins ties
                best[new] = value
                choice[new] = c
    ordering: list[int] = []
    mask = full
    while mask:
        c = int(choice[mask])
        ordering.append(c)
        mask &= ~(1 << c)
    ordering.reverse()
    scores = np.zeros(n)
    scores[ordering] = np.arange(n, 0, -1) - 1
    return RuleResult("kemeny_young", tuple(ordering), tuple(scores.tolist()))


def instant_runoff(
    padded: NDArray[np.int64], n: int, borda_scores: NDArray[np.float64]
) -> RuleResult:
    """Eliminate until one candidate remains; scores = round of elimination.

    Standard IRV stops once someone holds a majority; carrying on to the end
    does not change the winner (a majority holder is never the weakest) and
    orders everyone else too.
    """
    eliminated = np.zeros(n + 1, dtype=bool)
    eliminated[n] = True  # the padding slot (-1 maps to n)
    ballots = np.where(padded >= 0, padded, n)
    rows = np.arange(ballots.shape[0])
    out_round = np.zeros(n)
    eliminated_order: list[int] = []
    round_no = 0
    while len(eliminated_order) < n:
        round_no += 1
        remaining = np.flatnonzero(~eliminated[:n])
        live = ~eliminated[ballots]
        first = ballots[rows, live.argmax(axis=1)] if ballots.shape[1] else np.full(rows.size, n)
        votes = np.bincount(first, minlength=n + 1)[:n][remaining]
        if remaining.size == 1:
            out = remaining
        elif np.any(votes == 0):
            # They hold no ballots, so eliminating them together moves none.
            out = remaining[votes == 0]
        else:
            out = remaining[votes == votes.min()]
        # Tie for last: fewer Borda points goes first, then the higher index.
        out = out[np.lexsort((-out, borda_scores[out]))]
        if votes.min() > 0:
            out = out[:1]
        eliminated[out] = True
        out_round[out] = round_no
        eliminated_order.extend(int(c) for c in out)
    return RuleResult(
        "instant_runoff", tuple(reversed(eliminated_order)), tuple(out_round.tolist())
    )


def condorcet_winner(pref: NDArray[np.int64]) -> int | None:
    n = pref.shape[0]
    beats = (pref > pref.T).sum(axis=1)
    winners = np.flatnonzero(beats == n - 1)
    return int(winners[0]) if winners.size and n > 0 else None


def compare_rules(rules: Sequence[RuleResult], *, top_k: int = 3) -> dict[str, Any]:
    """Where the rules agree (same winner? same top k as a set?) and where not."""
    done = [r for r in rules if r.refused is None and r.ordering]
    winners = {r.rule: r.winner for r in done}
    tops = {r.rule: sorted(r.ordering[:top_k]) for r in done}
    by_winner: dict[int, list[str]] = {}
    for r in done:
        by_winner.setdefault(int(r.ordering[0]), []).append(r.rule)
    disagreements = []
    if len(by_winner) > 1:
        parts = [f"{', '.join(names)} pick {w}" for w, names in sorted(by_winner.items())]
        disagreements.append("winner: " + "; ".join(parts))
    distinct_tops = {tuple(t) for t in tops.values()}
    if len(distinct_tops) > 1:
        parts = [f"{name} {top}" for name, top in tops.items()]
        disagreements.append(f"top {top_k}: " + "; ".join(parts))
    return {
        "winners": winners,
        "same_winner": len(by_winner) <= 1,
        "top_k": top_k,
        "top": tops,
        "same_top_k": len(distinct_tops) <= 1,
        "refused": {r.rule: r.refused for r in rules if r.refused is not None},
        "disagreements": disagreements,
    }


def rank_ballots(
    ballots: Sequence[Sequence[int]],
    n_candidates: int,
    *,
    max_ranked: int | None = None,
    top_k: int = 3,
) -> RankingResult:
    """Run every rule on the ballots and compare them.

    Raises EngineInputError for a ballot with an unknown candidate, a
    candidate listed twice, or more than `max_ranked` candidates.
    """
    if n_candidates < 0:
        raise EngineInputError("n_candidates must be >= 0")
    padded = _padded_ballots(ballots, n_candidates, max_ranked)
    pref = preference_matrix(padded, n_candidates)
    borda_result = borda(pref)
    rules: tuple[RuleResult, ...] = (
        borda_result,
        copeland(pref),
        schulze(pref),
        ranked_pairs(pref),
        instant_runoff(padded, n_candidates, np.asarray(borda_result.scores)),
        kemeny_young(pref),
    )
    note = None
    if n_candidates == 0:
        rules = tuple(RuleResult(r.rule, (), (), None) for r in rules)
        note = "no candidates"
    elif not padded.size:
        note = "no ballots list any candidate: every rule ties all candidates (broken by index)"
    return RankingResult(
        n_candidates=n_candidates,
        n_ballots=len(ballots),
        preference=tuple(tuple(int(x) for x in row) for row in pref),
        condorcet_winner=condorcet_winner(pref) if n_candidates else None,
        rules=rules,
        comparison=compare_rules(rules, top_k=top_k),
        note=note,
    )
