"""Manipulation checks: suspicious voters and what they change.

Two flags, both heuristics for a facilitator to look at, not verdicts:

- uniform: a participant with at least `min_votes` agree/disagree votes
  who agreed with all of them (or disagreed with all of them), more
  precisely whose agree (or disagree) share is at least `uniform_share`.
- burst: a group of at least `min_burst_size` participants whose votes are
  near-identical, similarity >= `similarity`, where similarity is the Jaccard
  index of their (statement, vote) pairs (passes count as a vote), and who
  arrived within `burst_window` seconds of a neighbour in the group (given
  `participant_time`, e.g. each one's first vote; without times, only the
  similarity counts). Groups are connected components of the "near-identical
  and close in time" graph. Only participants with at least `min_votes`
  votes are compared: in a short conversation many honest people vote alike.

The report then leaves every flagged participant out and says how the top
of the profile changes: the top `top_n` statements by bridging score (among
those with a bridging status) and by agree rate (among those with at least
`min_statement_votes` votes), with and without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from aggregation.engine.bridging import BridgingResult, fit_bridging
from aggregation.engine.votes import AGREE, DISAGREE, EngineInputError, VoteTable

MIN_VOTES = 10
UNIFORM_SHARE = 1.0
SIMILARITY = 0.9
BURST_WINDOW_SECONDS = 600.0
MIN_BURST_SIZE = 5
TOP_N = 10
MIN_STATEMENT_VOTES = 5
# Rows of the similarity product computed at once: bounds memory.
_CHUNK = 512


@dataclass(frozen=True)
class FlaggedParticipant:
    participant: int
    reasons: tuple[str, ...]
    burst: int | None


@dataclass(frozen=True)
class Burst:
    burst: int
    participants: tuple[int, ...]
    time_span_seconds: float | None


@dataclass(frozen=True)
class TopChange:
    top_with: tuple[int, ...]
    top_without: tuple[int, ...]
    entered: tuple[int, ...]
    left: tuple[int, ...]
    overlap: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_with": list(self.top_with),
            "top_without": list(self.top_without),
            "entered": list(self.entered),
            "left": list(self.left),
            "overlap": self.overlap,
        }


@dataclass(frozen=True)
class AnomalyResult:
    flagged: tuple[FlaggedParticipant, ...]
    bursts: tuple[Burst, ...]
    by_bridging: TopChange
    by_agree_rate: TopChange
    n_votes_left_out: int
    parameters: dict[str, float]

    @property
    def flagged_participants(self) -> tuple[int, ...]:
        return tuple(f.participant for f in self.flagged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": [
                {"participant": f.participant, "reasons": list(f.reasons), "burst": f.burst}
                for f in self.flagged
            ],
            "bursts": [
                {
                    "burst": b.burst,
                    "participants": list(b.participants),
                    "time_span_seconds": b.time_span_seconds,
                }
                for b in self.bursts
            ],
            "profile_change": {
                "by_bridging": self.by_bridging.to_dict(),
                "by_agree_rate": self.by_agree_rate.to_dict(),
                "n_votes_left_out": self.n_votes_left_out,
            },
            "parameters": dict(self.parameters),
        }


def uniform_voters(
    table: VoteTable, *, min_votes: int = MIN_VOTES, uniform_share: float = UNIFORM_SHARE
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Participants who agree with everything, and those who disagree with everything."""
    n = table.n_participants
    agrees = np.bincount(table.participant[table.value == AGREE], minlength=n)
    disagrees = np.bincount(table.participant[table.value == DISAGREE], minlength=n)
    decided = agrees + disagrees
    enough = decided >= max(min_votes, 1)
    share_agree = np.divide(agrees, decided, out=np.zeros(n), where=decided > 0)
    all_agree = np.flatnonzero(enough & (share_agree >= uniform_share))
    all_disagree = np.flatnonzero(enough & (1 - share_agree >= uniform_share))
    return all_agree.astype(np.int64), all_disagree.astype(np.int64)


def near_identical_bursts(
    table: VoteTable,
    *,
    participant_time: NDArray[np.floating] | NDArray[np.integer] | None = None,
    min_votes: int = MIN_VOTES,
    similarity: float = SIMILARITY,
    burst_window: float = BURST_WINDOW_SECONDS,
    min_burst_size: int = MIN_BURST_SIZE,
) -> list[Burst]:
    """Groups of near-identical voters arriving close together (see module doc)."""
    n_p = table.n_participants
    times = None
    if participant_time is not None:
        times = np.asarray(participant_time, dtype=np.float64)
        if times.shape != (n_p,) or not np.all(np.isfinite(times)):
            raise EngineInputError("participant_time must hold one finite time per participant")
    n_votes = np.bincount(table.participant, minlength=n_p)
    candidates = np.flatnonzero(n_votes >= max(min_votes, 1))
    if candidates.size < max(min_burst_size, 2):
        return []
    position = np.full(n_p, -1)
    position[candidates] = np.arange(candidates.size)
    keep = position[table.participant] >= 0
    # One column per (statement, vote): Jaccard over these sets.
    onehot = sp.csr_array(
        (
            np.ones(int(keep.sum())),
            (
                position[table.participant[keep]],
                table.statement[keep] * 3 + table.value[keep].astype(np.int64) + 1,
            ),
        ),
        shape=(candidates.size, table.n_statements * 3),
    )
    sizes = n_votes[candidates].astype(np.float64)
    onehot_t = onehot.T.tocsr()
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    for start in range(0, candidates.size, _CHUNK):
        block = (onehot[start : start + _CHUNK] @ onehot_t).tocoo()
        r, c, shared = block.row + start, block.col, block.data
        jaccard = shared / (sizes[r] + sizes[c] - shared)
        ok = (r < c) & (jaccard >= similarity)
        if times is not None:
            ok &= np.abs(times[candidates[r]] - times[candidates[c]]) <= burst_window
        rows.append(r[ok].astype(np.int64))
        cols.append(c[ok].astype(np.int64))
    r_all, c_all = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_array(
        (np.ones(r_all.size), (r_all, c_all)), shape=(candidates.size, candidates.size)
    )
    _, label = connected_components(graph, directed=False)
    counts = np.bincount(label)
    bursts = []
    for comp in np.flatnonzero(counts >= min_burst_size):
        members = candidates[label == comp]
        span = None if times is None else float(times[members].max() - times[members].min())
        bursts.append((int(members[0]), members, span))
    bursts.sort(key=lambda b: b[0])
    return [
        Burst(burst=i, participants=tuple(int(m) for m in members), time_span_seconds=span)
        for i, (_, members, span) in enumerate(bursts)
    ]


def _without(table: VoteTable, participants: NDArray[np.int64]) -> VoteTable:
    keep = ~np.isin(table.participant, participants)
    return VoteTable(
        table.participant[keep],
        table.statement[keep],
        table.value[keep],
        table.n_participants,
        table.n_statements,
    )


def _top_by_agree_rate(table: VoteTable, top_n: int, min_statement_votes: int) -> tuple[int, ...]:
    votes = np.bincount(table.statement, minlength=table.n_statements)
    agrees = np.bincount(table.statement[table.value == AGREE], minlength=table.n_statements)
    rate = np.divide(agrees, votes, out=np.zeros(table.n_statements), where=votes > 0)
    eligible = np.flatnonzero(votes >= min_statement_votes)
    order = eligible[np.lexsort((eligible, -rate[eligible]))]
    return tuple(int(s) for s in order[:top_n])


def _top_by_bridging(result: BridgingResult, top_n: int) -> tuple[int, ...]:
    eligible = [s for s in result.statements if s.status != "too_few_ratings"]
    eligible.sort(key=lambda s: (-s.score, s.statement))
    return tuple(s.statement for s in eligible[:top_n])


def _change(top_with: tuple[int, ...], top_without: tuple[int, ...]) -> TopChange:
    with_set, without_set = set(top_with), set(top_without)
    size = max(len(top_with), len(top_without))
    return TopChange(
        top_with=top_with,
        top_without=top_without,
        entered=tuple(s for s in top_without if s not in with_set),
        left=tuple(s for s in top_with if s not in without_set),
        overlap=len(with_set & without_set) / size if size else 1.0,
    )


def detect_anomalies(
    table: VoteTable,
    *,
    participant_time: NDArray[np.floating] | NDArray[np.integer] | None = None,
    bridging: BridgingResult | None = None,
    min_votes: int = MIN_VOTES,
    uniform_share: float = UNIFORM_SHARE,
    similarity: float = SIMILARITY,
    burst_window: float = BURST_WINDOW_SECONDS,
    min_burst_size: int = MIN_BURST_SIZE,
    top_n: int = TOP_N,
    min_statement_votes: int = MIN_STATEMENT_VOTES,
) -> AnomalyResult:
    """Flag uniform voters and bursts; report the profile's top without them.

    `bridging` is the full fit if the caller has it (fitted here otherwise).
    """
    if not 0 < similarity <= 1 or not 0 < uniform_share <= 1 or top_n < 1:
        raise EngineInputError("similarity and uniform_share must be in (0, 1], top_n >= 1")
    all_agree, all_disagree = uniform_voters(
        table, min_votes=min_votes, uniform_share=uniform_share
    )
    bursts = near_identical_bursts(
        table,
        participant_time=participant_time,
        min_votes=min_votes,
        similarity=similarity,
        burst_window=burst_window,
        min_burst_size=min_burst_size,
    )
    reasons: dict[int, list[str]] = {}
    burst_of: dict[int, int] = {}
    for p in all_agree:
        reasons.setdefault(int(p), []).append("all_agree")
    for p in all_disagree:
        reasons.setdefault(int(p), []).append("all_disagree")
    for b in bursts:
        for p in b.participants:
            reasons.setdefault(p, []).append("burst")
            burst_of[p] = b.burst
    flagged_ids = np.array(sorted(reasons), dtype=np.int64)
    flagged = tuple(
        FlaggedParticipant(p, tuple(reasons[p]), burst_of.get(p)) for p in sorted(reasons)
    )

    full = bridging if bridging is not None else fit_bridging(table)
    reduced = _without(table, flagged_ids)
    reduced_fit = fit_bridging(reduced) if flagged_ids.size else full
    return AnomalyResult(
        flagged=flagged,
        bursts=tuple(bursts),
        by_bridging=_change(_top_by_bridging(full, top_n), _top_by_bridging(reduced_fit, top_n)),
        by_agree_rate=_change(
            _top_by_agree_rate(table, top_n, min_statement_votes),
            _top_by_agree_rate(reduced, top_n, min_statement_votes),
        ),
        n_votes_left_out=table.n_votes - reduced.n_votes,
        parameters={
            "min_votes": float(min_votes),
            "uniform_share": float(uniform_share),
            "similarity": float(similarity),
            "burst_window_seconds": float(burst_window),
            "min_burst_size": float(min_burst_size),
            "top_n": float(top_n),
            "min_statement_votes": float(min_statement_votes),
        },
    )
