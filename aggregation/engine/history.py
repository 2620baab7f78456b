"""Replaying the vote history where Pol.is's result depends on it.

Pol.is recomputes after every batch of new votes and never removes a
participant from the clustered set ("in-conv"). Someone who voted on every
comment while there were only 3 stays in after 50 more arrive, though the final
snapshot alone would leave them out. The replay below recovers them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .votes import first_occurrence

IN_CONV_MIN_VOTES = 7
IN_CONV_GREEDY_N = 15
IN_CONV_EMPTY_TOP_N = 7


@dataclass(frozen=True)
class InConvRule:
    """Pol.is's in-conv rule of one era (see polis_eras.PolisRules for each field)."""

    all_voters: bool = False
    strict: bool = False
    fallback: str = "greedy15"
    counts_zeroed: bool = False


CURRENT_IN_CONV = InConvRule()


def _admit(
    in_conv: NDArray[np.bool_],
    counts: NDArray[np.int64],
    candidates: NDArray[np.int64],
    n_cols: int,
    rank: NDArray[np.int64],
    voted: NDArray[np.bool_],
    rule: InConvRule = CURRENT_IN_CONV,
) -> None:
    """One Pol.is in-conv update, in place: threshold, then the era's top-up."""
    if rule.all_voters:
        in_conv[voted] = True
        return
    threshold = min(IN_CONV_MIN_VOTES, n_cols)
    enough = counts[candidates] > threshold if rule.strict else counts[candidates] >= threshold
    in_conv[candidates[enough]] = True
    if rule.fallback == "greedy15":
        missing = IN_CONV_GREEDY_N - int(in_conv.sum())
    elif rule.fallback == "top7_if_empty" and not in_conv.any():
        missing = IN_CONV_EMPTY_TOP_N
    else:
        missing = 0
    if missing > 0:
        # Most votes first; Pol.is orders ties by hash-map iteration, here by arrival.
        others = np.flatnonzero(voted & ~in_conv)
        order = np.lexsort((rank[others], -counts[others]))
        in_conv[others[order[:missing]]] = True


def in_conv_snapshot(
    counts: NDArray[np.int64],
    n_cols: int,
    rank: NDArray[np.int64],
    rule: InConvRule = CURRENT_IN_CONV,
    n_zeroed_cols: int = 0,
) -> NDArray[np.bool_]:
    """Pol.is's in-conv rule on one snapshot (today: >= min(7, n_cols) votes, topped up to 15).

    With `rule.counts_zeroed` every voter's count gains `n_zeroed_cols` (the
    zeroed columns read as votes).
    """
    in_conv = np.zeros(counts.shape[0], dtype=bool)
    voted = counts > 0
    seen = counts + n_zeroed_cols * voted if rule.counts_zeroed else counts
    _admit(in_conv, seen, np.flatnonzero(voted), n_cols, rank, voted, rule)
    return in_conv


def _first_event(keys: NDArray[np.int64], size: int) -> NDArray[np.int64]:
    """Position of the first event of each key (n for keys that never occur), without sorting."""
    first = np.full(size, keys.shape[0], dtype=np.int64)
    np.minimum.at(first, keys, np.arange(keys.shape[0], dtype=np.int64))
    return first


def in_conv_replayed(
    *,
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    time: NDArray[np.float64],
    final_counts: NDArray[np.int64],
    n_statements: int,
    rank: NDArray[np.int64],
    rule: InConvRule = CURRENT_IN_CONV,
    zeroed: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    """Sticky in-conv after replaying every vote event (all rows, changes included).

    Each distinct timestamp is one Pol.is update. Only an opening stretch of
    the history can matter: the greedy top-up to 15 acts only until 15 people
    have voted (the older "7 if nobody qualifies" only until someone does), and
    the threshold min(7, n_cols) only differs from its final value until the
    number of voted statements reaches min(7, final n_cols). That stretch is
    replayed update by update; after it, counts only grow and the threshold is
    fixed, so the final counts (`final_counts`, distinct statements per
    participant) decide. With `rule.counts_zeroed`, the zeroed statements
    (`zeroed`, final moderation: the export has no moderation times) already
    voted on count as votes for every voter.
    """
    n_participants = final_counts.shape[0]
    n = participant.shape[0]
    if n == 0:
        return np.zeros(n_participants, dtype=bool)
    if rule.all_voters:
        return np.asarray(final_counts > 0)
    if np.all(time[1:] >= time[:-1]):
        p, s, t = participant, statement, time
    else:
        order = np.argsort(time, kind="stable")
        p, s, t = participant[order], statement[order], time[order]
    out_col = (
        np.asarray(zeroed, dtype=bool)
        if rule.counts_zeroed and zeroed is not None
        else np.zeros(n_statements, dtype=bool)
    )

    first_col = _first_event(s, n_statements)
    col_firsts = np.sort(first_col[first_col < n])
    final_cols = col_firsts.shape[0]
    final_seen = final_counts + int(out_col[first_col < n].sum()) * (final_counts > 0)
    threshold = min(IN_CONV_MIN_VOTES, final_cols)
    enough = final_seen > threshold if rule.strict else final_seen >= threshold
    in_conv = enough & (final_counts > 0)
    settle = int(col_firsts[threshold - 1])
    voter_firsts = np.sort(_first_event(p, n_participants))
    last = settle
    if rule.fallback == "greedy15":
        fifteenth = int(voter_firsts[min(IN_CONV_GREEDY_N, int(np.sum(voter_firsts < n))) - 1])
        last = max(settle, fifteenth)
    elif rule.fallback == "top7_if_empty":
        # The fallback can act at any update while nobody qualifies; replay to the end
        # (rare: someone meets a threshold of min(7, n_cols) almost at once).
        last = n - 1
    # The replayed stretch runs to the end of the update holding `last`.
    stop = last + int(np.argmax(np.r_[t[last + 1 :] != t[last], True]))

    pp, ss, tt = p[: stop + 1], s[: stop + 1], t[: stop + 1]
    first_pair = first_occurrence(pp * n_statements + ss)
    new_pair = np.zeros(pp.shape[0], dtype=bool)
    new_pair[first_pair] = True
    new_col = np.zeros(pp.shape[0], dtype=bool)
    new_col[first_col[first_col <= stop]] = True
    ends = np.r_[np.flatnonzero(np.diff(tt)), pp.shape[0] - 1]
    counts = np.zeros(n_participants, dtype=np.int64)
    voted = np.zeros(n_participants, dtype=bool)
    early = np.zeros(n_participants, dtype=bool)
    n_cols = 0
    n_out = 0
    for a, b in zip(np.r_[0, ends[:-1] + 1], ends + 1, strict=True):
        np.add.at(counts, pp[a:b][new_pair[a:b]], 1)
        voted[pp[a:b]] = True
        fresh = new_col[a:b]
        n_cols += int(fresh.sum())
        more_out = int(out_col[ss[a:b][fresh]].sum())
        n_out += more_out
        seen = counts + n_out * voted if n_out else counts
        # A new zeroed column raises every voter's count, not only this update's voters'.
        candidates = np.flatnonzero(voted) if more_out else np.unique(pp[a:b])
        _admit(early, seen, candidates, n_cols, rank, voted, rule)
        if rule.fallback == "top7_if_empty" and early.any() and b - 1 >= settle:
            break
    return in_conv | early
