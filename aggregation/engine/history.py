"""Replaying the vote history where Pol.is's result depends on it.

Pol.is recomputes after every batch of new votes and never removes a
participant from the clustered set ("in-conv"). Someone who voted on every
comment while there were only 3 stays in after 50 more arrive, though the final
snapshot alone would leave them out. The replay below recovers them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IN_CONV_MIN_VOTES = 7
IN_CONV_GREEDY_N = 15


def _admit(
    in_conv: NDArray[np.bool_],
    counts: NDArray[np.int64],
    candidates: NDArray[np.int64],
    n_cols: int,
    rank: NDArray[np.int64],
    voted: NDArray[np.bool_],
) -> None:
    """One Pol.is in-conv update, in place: threshold, then greedy top-up to 15."""
    threshold = min(IN_CONV_MIN_VOTES, n_cols)
    in_conv[candidates[counts[candidates] >= threshold]] = True
    missing = IN_CONV_GREEDY_N - int(in_conv.sum())
    if missing > 0:
        # Most votes first; Pol.is orders ties by hash-map iteration, here by arrival.
        others = np.flatnonzero(voted & ~in_conv)
        order = np.lexsort((rank[others], -counts[others]))
        in_conv[others[order[:missing]]] = True


def in_conv_snapshot(
    counts: NDArray[np.int64], n_cols: int, rank: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Pol.is's in-conv rule on one snapshot: >= min(7, n_cols) votes, topped up to 15."""
    in_conv = np.zeros(counts.shape[0], dtype=bool)
    voted = counts > 0
    _admit(in_conv, counts, np.flatnonzero(voted), n_cols, rank, voted)
    return in_conv


def in_conv_replayed(
    *,
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    time: NDArray[np.float64],
    n_participants: int,
    n_statements: int,
    rank: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Sticky in-conv after replaying every vote event (all rows, changes included).

    Each distinct timestamp is treated as one Pol.is update. Only the opening
    stretch needs replaying: once 15 are in and the number of voted statements
    has reached its final value (or 7), the threshold can no longer move and
    counts only grow, so the final snapshot decides the rest.
    """
    order = np.argsort(time, kind="stable")
    p, s, t = participant[order], statement[order], time[order]
    key = p * n_statements + s
    _, first_pair = np.unique(key, return_index=True)
    new_pair = np.zeros(p.shape[0], dtype=bool)
    new_pair[first_pair] = True
    _, first_col = np.unique(s, return_index=True)
    new_col = np.zeros(p.shape[0], dtype=bool)
    new_col[first_col] = True
    final_cols = int(first_col.shape[0])

    counts = np.zeros(n_participants, dtype=np.int64)
    voted = np.zeros(n_participants, dtype=bool)
    in_conv = np.zeros(n_participants, dtype=bool)
    n_cols = 0
    cuts = np.flatnonzero(np.diff(t)) + 1
    starts = np.concatenate(([0], cuts)) if p.size else np.zeros(0, dtype=np.int64)
    ends = np.concatenate((cuts, [p.shape[0]])) if p.size else np.zeros(0, dtype=np.int64)
    for a, b in zip(starts, ends, strict=True):
        np.add.at(counts, p[a:b][new_pair[a:b]], 1)
        voted[p[a:b]] = True
        n_cols += int(new_col[a:b].sum())
        _admit(in_conv, counts, np.unique(p[a:b]), n_cols, rank, voted)
        settled = n_cols >= min(IN_CONV_MIN_VOTES, final_cols)
        if settled and in_conv.sum() >= IN_CONV_GREEDY_N:
            break
    final_counts = np.bincount(p[new_pair], minlength=n_participants)
    in_conv |= final_counts >= min(IN_CONV_MIN_VOTES, final_cols)
    in_conv &= final_counts > 0
    return in_conv
