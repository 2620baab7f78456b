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
) -> NDArray[np.bool_]:
    """Sticky in-conv after replaying every vote event (all rows, changes included).

    Each distinct timestamp is one Pol.is update. Only an opening stretch of
    the history can matter: the greedy top-up to 15 acts only until 15 people
    have voted, and the threshold min(7, n_cols) only differs from its final
    value until the number of voted statements reaches min(7, final n_cols).
    That stretch is replayed update by update; after it, counts only grow and
    the threshold is fixed, so the final counts (`final_counts`, distinct
    statements per participant) decide.
    """
    n_participants = final_counts.shape[0]
    n = participant.shape[0]
    if n == 0:
        return np.zeros(n_participants, dtype=bool)
    if np.all(time[1:] >= time[:-1]):
        p, s, t = participant, statement, time
    else:
        order = np.argsort(time, kind="stable")
        p, s, t = participant[order], statement[order], time[order]

    first_col = _first_event(s, n_statements)
    col_firsts = np.sort(first_col[first_col < n])
    final_cols = col_firsts.shape[0]
    in_conv = (final_counts >= min(IN_CONV_MIN_VOTES, final_cols)) & (final_counts > 0)
    settle = int(col_firsts[min(IN_CONV_MIN_VOTES, final_cols) - 1])
    voter_firsts = np.sort(_first_event(p, n_participants))
    fifteenth = int(voter_firsts[min(IN_CONV_GREEDY_N, int(np.sum(voter_firsts < n))) - 1])
    last = max(settle, fifteenth)
    # The replayed stretch runs to the end of the update holding `last`.
    stop = last + int(np.argmax(np.r_[t[last + 1 :] != t[last], True]))

    pp, ss, tt = p[: stop + 1], s[: stop + 1], t[: stop + 1]
    _, first_pair = np.unique(pp * n_statements + ss, return_index=True)
    new_pair = np.zeros(pp.shape[0], dtype=bool)
    new_pair[first_pair] = True
    new_col = np.zeros(pp.shape[0], dtype=bool)
    new_col[first_col[first_col <= stop]] = True
    ends = np.r_[np.flatnonzero(np.diff(tt)), pp.shape[0] - 1]
    counts = np.zeros(n_participants, dtype=np.int64)
    voted = np.zeros(n_participants, dtype=bool)
    early = np.zeros(n_participants, dtype=bool)
    n_cols = 0
    for a, b in zip(np.r_[0, ends[:-1] + 1], ends + 1, strict=True):
        np.add.at(counts, pp[a:b][new_pair[a:b]], 1)
        voted[pp[a:b]] = True
        n_cols += int(new_col[a:b].sum())
        _admit(early, counts, np.unique(pp[a:b]), n_cols, rank, voted)
    return in_conv | early
