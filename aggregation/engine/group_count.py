"""Pol.is's group count when only the final state is analysed.

Pol.is does not take the best k by silhouette of the final update: its k
smoother (conversation.clj `:group-k-smoother`, since 2014-08-30 eaa29c66)
starts from the first update's best k and switches to a new k only after that
k has been the best in `:group-k-buffer` = 4 consecutive updates. A k is only
tried once there are enough base clusters for it: k <= min(max_k, 2 + n_base /
12) today, so k = 3 needs 12 base clusters, 4 needs 24, 5 needs 36. A
conversation therefore starts at k = 2 (its first updates have fewer than 12
base clusters), and a k that became possible during the last three updates
cannot have won four in a row: Pol.is still shows a smaller k, whatever the
final silhouettes say.

What the final state cannot tell (which k won the earlier runs, and Pol.is's
warm-started clusterings behind them) is left to the final silhouettes: among
the k that have been possible for at least 4 updates, the best one is taken,
which is the smoother's answer whenever the best k has held over its last four
updates. On the five conversations in the project's data this changes
nothing (each had k = 3 possible for thousands of updates); it matters for
small or bulk-loaded conversations that crossed 12, 24 or 36 clustered
participants at the very end.

Pol.is's math worker polls for new votes about once a second and runs one
update on what arrived (poller.clj), so updates are counted as distinct
1-second windows holding votes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from .history import IN_CONV_MIN_VOTES
from .polis_eras import PolisRules
from .votes import first_occurrence

POLL_MS = 1000.0


def admission_times(
    *,
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    time: NDArray[np.float64],
    in_conv: NDArray[np.bool_],
    n_statements: int,
) -> NDArray[np.float64]:
    """When each clustered participant joined the in-conv set, in time order.

    A participant is taken to join at the vote that gave them min(7, n_cmts)
    distinct statements, or at their first vote when they never reached it
    (the greedy top-up to 15 admits such voters at the start).
    """
    if participant.size == 0:
        return np.zeros(0)
    if not np.all(time[1:] >= time[:-1]):
        order = np.argsort(time, kind="stable")
        participant, statement, time = participant[order], statement[order], time[order]
    first = np.sort(first_occurrence(participant * n_statements + statement))
    n_cols = int(np.count_nonzero(np.bincount(statement, minlength=n_statements)))
    need = min(IN_CONV_MIN_VOTES, n_cols)
    # Each participant's first votes on distinct statements, in time order: a
    # packed sort, as in votes.first_occurrence (a lexsort cost 0.2 s on 1M votes).
    bits = max(1, int(time.shape[0]).bit_length())
    packed = np.sort((participant[first] << bits) | first)
    p, at_vote = packed >> bits, packed & ((1 << bits) - 1)
    starts = np.r_[0, np.flatnonzero(p[1:] != p[:-1]) + 1]
    counts = np.diff(np.r_[starts, p.shape[0]])
    who = p[starts]
    joined = np.where(
        counts >= need, at_vote[starts + np.minimum(need, counts) - 1], at_vote[starts]
    )
    return np.sort(time[joined[in_conv[who]]])


def updates_since(time: NDArray[np.float64], since: float) -> int:
    """Pol.is updates (1-second poll windows with votes) from `since` to the end."""
    later = time[time >= since]
    return int(np.unique(np.floor(later / POLL_MS)).shape[0])


def established_k(
    rules: PolisRules, admitted: NDArray[np.float64], time: NDArray[np.float64], ks: list[int]
) -> list[int]:
    """The candidate k that have been possible for at least the smoother's buffer of updates.

    k became possible when the clustered set reached the size that gives
    enough base clusters for it (one base cluster per clustered participant
    up to `base_k`; the distinct-point cap is ignored).
    """
    buffer = rules.k_smoother_buffer
    if buffer is None or not ks:
        return ks
    smallest = min(ks)
    out = []
    for k in ks:
        need = next((n for n in range(1, rules.base_k + 1) if rules.top_k(n) >= k), None)
        if k == smallest or need is None:
            out.append(k)
            continue
        if need > admitted.shape[0]:
            continue
        if updates_since(time, float(admitted[need - 1])) >= buffer:
            out.append(k)
    return out or [smallest]


def smoothed_choice(silhouettes: Mapping[int, float], allowed: list[int]) -> int:
    """Best k by silhouette among `allowed` (ties: the larger k, as Clojure's max-key)."""
    return max(allowed, key=lambda k: (silhouettes[k], k))
