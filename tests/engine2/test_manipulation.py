from __future__ import annotations

import json

import numpy as np
import pytest

from aggregation.engine.manipulation import detect_anomalies, near_identical_bursts, uniform_voters
from aggregation.engine.votes import EngineInputError, VoteTable
from tests.engine2.synthetic import UNPOPULAR, Population, planted_population


def with_brigade(
    pop: Population, pushed: np.ndarray, size: int, seed: int
) -> tuple[VoteTable, np.ndarray]:
    """Append `size` accounts voting identically: agree on `pushed`, disagree elsewhere.

    Honest participants arrive spread over ten days; the brigade within 10 minutes.
    """
    rng = np.random.default_rng(seed)
    t = pop.table
    n_s = t.n_statements
    new_ids = np.repeat(np.arange(t.n_participants, t.n_participants + size), n_s)
    statements = np.tile(np.arange(n_s), size)
    values = np.where(np.isin(statements, pushed), 1, -1).astype(np.int8)
    table = VoteTable(
        np.concatenate([t.participant, new_ids]),
        np.concatenate([t.statement, statements]),
        np.concatenate([t.value, values]),
        t.n_participants + size,
        n_s,
    )
    times = np.concatenate(
        [rng.uniform(0, 10 * 86400, t.n_participants), 5 * 86400 + rng.uniform(0, 600, size)]
    )
    return table, times


def test_a_brigade_is_flagged_and_its_effect_on_the_top_is_reported() -> None:
    pop = planted_population(n_participants=300, n_statements=40, seed=12)
    pushed = np.flatnonzero(pop.kind == UNPOPULAR)[:3]
    table, times = with_brigade(pop, pushed, size=400, seed=1)
    result = detect_anomalies(table, participant_time=times, top_n=5)
    brigade = set(range(300, 700))
    flagged = set(result.flagged_participants)
    assert brigade <= flagged
    assert len(flagged - brigade) <= 3  # honest people are rarely flagged
    assert len(result.bursts) == 1
    assert result.bursts[0].time_span_seconds is not None
    assert result.bursts[0].time_span_seconds <= 600
    # The pushed statements top the agree rates with the brigade, not without.
    assert set(pushed) <= set(result.by_agree_rate.top_with)
    assert not set(pushed) & set(result.by_agree_rate.top_without)
    assert set(pushed) <= set(result.by_agree_rate.left)
    assert result.by_agree_rate.overlap < 1.0
    assert result.n_votes_left_out >= 400 * 40
    json.dumps(result.to_dict(), allow_nan=False)


def test_identical_voters_spread_over_time_are_not_a_burst() -> None:
    pop = planted_population(n_participants=100, n_statements=30, seed=13)
    table, times = with_brigade(pop, np.array([0, 1]), size=10, seed=2)
    times[100:] = np.arange(10) * 86400.0  # one a day
    assert near_identical_bursts(table, participant_time=times) == []
    assert len(near_identical_bursts(table)) == 1  # without times, similarity alone


def test_everything_agree_and_everything_disagree_voters_are_flagged() -> None:
    rows = [(0, s, 1) for s in range(12)] + [(1, s, -1) for s in range(12)]
    rows += [(2, s, 1 if s % 2 else -1) for s in range(12)] + [(3, s, 1) for s in range(5)]
    arr = np.array(rows)
    table = VoteTable(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int8), 4, 12)
    agree, disagree = uniform_voters(table)
    assert agree.tolist() == [0]  # participant 3 has too few votes
    assert disagree.tolist() == [1]
    result = detect_anomalies(table)
    assert {f.participant: f.reasons for f in result.flagged} == {
        0: ("all_agree",),
        1: ("all_disagree",),
    }


def test_nothing_flagged_means_no_change() -> None:
    pop = planted_population(n_participants=200, n_statements=30, seed=14)
    # Nobody has 1,000 votes, so nobody can be flagged.
    result = detect_anomalies(pop.table, min_votes=1000)
    assert result.flagged == ()
    assert result.by_bridging.overlap == 1.0
    assert result.by_agree_rate.entered == ()


def test_bad_times_are_refused() -> None:
    pop = planted_population(n_participants=20, n_statements=12, seed=1)
    with pytest.raises(EngineInputError, match="participant_time"):
        detect_anomalies(pop.table, participant_time=np.zeros(3))
    with pytest.raises(EngineInputError, match="participant_time"):
        detect_anomalies(pop.table, participant_time=np.full(20, np.nan))
