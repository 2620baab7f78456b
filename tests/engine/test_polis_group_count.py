"""Pol.is's group count from the final state: a k that became possible too late for
its k smoother is left out (group_count.py)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from aggregation.engine.group_count import admission_times, established_k, updates_since
from aggregation.engine.polis import PolisParams, analyze_votes
from aggregation.engine.polis_eras import BY_NAME, CURRENT

PATTERNS = (
    [1, 1, 1, 1, -1, -1, -1, -1],
    [-1, -1, -1, -1, 1, 1, 1, 1],
    [1, -1, 1, -1, 1, -1, 1, -1],
)


def _three_camps(late_from: int, n: int = 15) -> tuple[np.ndarray, ...]:
    """n participants in three camps, each a little off their camp's pattern so that
    every point is distinct; participants from `late_from` on vote in the last second."""
    p, s, v, t = [], [], [], []
    clock = 0.0
    for who in range(n):
        pattern = list(PATTERNS[who % 3])
        pattern[who % 8] = 0  # one pass each: distinct positions
        for stmt, vote in enumerate(pattern):
            p.append(who)
            s.append(stmt)
            v.append(vote)
            if who < late_from:
                clock += 5000.0  # one update per vote
                t.append(clock)
            else:
                t.append(10_000_000.0 + who)  # all in one final poll window
    return np.array(p), np.array(s), np.array(v), np.array(t)


def seconds(values: range | list[int]) -> NDArray[np.float64]:
    return np.asarray(list(values), dtype=np.float64) * 1000.0


def test_updates_are_one_second_poll_windows() -> None:
    t = np.array([0.0, 100.0, 999.0, 1000.0, 5000.0, 5001.0])
    assert updates_since(t, 0.0) == 3
    assert updates_since(t, 1000.0) == 2
    assert updates_since(t, 6000.0) == 0


def test_a_k_possible_only_in_the_last_updates_is_left_out() -> None:
    # One clustered participant and one update per second. k = 4 needs 24
    # clustered participants: the 24th came in the third update from the end.
    admitted = seconds(range(26))
    votes = seconds(range(26))
    assert established_k(CURRENT, admitted, votes, [2, 3, 4]) == [2, 3]
    # Ten more updates later, it has had its four.
    more_votes = seconds(range(36))
    assert established_k(CURRENT, admitted, more_votes, [2, 3, 4]) == [2, 3, 4]
    # The 12th clustered participant arrived in the last poll window: k = 3 was
    # tried in one update only, so the smoother cannot have switched to it.
    admitted_late = seconds([*range(11), *[100_000] * 19])
    votes_late = seconds([*range(11), *[100_000] * 5])
    assert established_k(CURRENT, admitted_late, votes_late, [2, 3]) == [2]
    # Eras without a smoother take the best k of the last update.
    assert established_k(BY_NAME["2014-06-05"], admitted_late, votes_late, [2, 3]) == [2, 3]


def test_admission_is_the_seventh_distinct_vote_or_the_first_for_greedy_voters() -> None:
    p = np.array([0] * 8 + [1] * 2)
    s = np.array([*range(8), 0, 1])
    t = np.arange(10, dtype=np.float64) * 10.0
    got = admission_times(
        participant=p, statement=s, time=t, in_conv=np.array([True, True]), n_statements=8
    )
    assert got.tolist() == [60.0, 80.0]


def test_pol_is_keeps_two_groups_when_the_third_became_possible_at_the_last_vote() -> None:
    p, s, v, t = _three_camps(late_from=11)
    final_best = analyze_votes(participant=p, statement=s, value=v, time=t)
    assert len(final_best.groups) == 3
    smoothed = analyze_votes(
        participant=p, statement=s, value=v, time=t, params=PolisParams(k_from_history=True)
    )
    assert len(smoothed.groups) == 2
    # The same conversation with the 12th participant early enough keeps 3.
    p, s, v, t = _three_camps(late_from=13)
    early = analyze_votes(
        participant=p, statement=s, value=v, time=t, params=PolisParams(k_from_history=True)
    )
    assert len(early.groups) == 3
