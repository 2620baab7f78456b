from __future__ import annotations

import json

import numpy as np
import pytest

from aggregation.engine.bridging import (
    RatingDesign,
    fit_bridging,
    ratings_from_votes,
    refit_resamples,
    refit_weighted,
)
from aggregation.engine.consensus import group_aware_consensus
from aggregation.engine.uncertainty import MIN_SWEEPS, bootstrap, refit_sweeps
from aggregation.engine.votes import EngineInputError, VoteTable
from tests.engine2.synthetic import planted_population


def binomial_table(rng: np.random.Generator, rates: np.ndarray, n_participants: int) -> VoteTable:
    """Everyone votes on every statement: agree with the planted rate, else disagree."""
    n_s = rates.size
    p = np.repeat(np.arange(n_participants), n_s)
    s = np.tile(np.arange(n_s), n_participants)
    value = np.where(rng.random(p.size) < rates[s], 1, -1).astype(np.int8)
    return VoteTable(p, s, value, n_participants, n_s)


def test_agree_rate_intervals_cover_the_planted_rate_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(0)
    rates = np.array([0.1, 0.3, 0.5, 0.7, 0.85])
    hits = []
    for run in range(200):
        table = binomial_table(rng, rates, 120)
        result = bootstrap(table, n_resamples=200, seed=run, include_bridging=False)
        for s in result.statements:
            hits.append(s.agree_rate.low <= rates[s.statement] <= s.agree_rate.high)
    coverage = float(np.mean(hits))
    assert 0.9 <= coverage <= 0.99


def test_group_measures_match_a_direct_count() -> None:
    pop = planted_population(n_participants=300, n_statements=20, seed=4)
    result = bootstrap(pop.table, groups=pop.camp, n_resamples=50, include_bridging=False)
    t = pop.table
    agree = np.zeros((2, 20), dtype=np.int64)
    votes = np.zeros((2, 20), dtype=np.int64)
    np.add.at(votes, (pop.camp[t.participant], t.statement), 1)
    np.add.at(agree, (pop.camp[t.participant], t.statement), t.value == 1)
    expected = group_aware_consensus(agree, votes)
    for s in result.statements:
        assert s.group_consensus is not None
        assert s.group_consensus.value == pytest.approx(expected[s.statement])
        assert s.group_consensus.low <= s.group_consensus.value <= s.group_consensus.high
        rates = agree[:, s.statement] / votes[:, s.statement]
        assert s.group_agree_rates == pytest.approx(tuple(rates))
        assert s.group_spread is not None
        assert s.group_spread.value == pytest.approx(rates.max() - rates.min())


def test_bridging_intervals_bracket_the_full_fit() -> None:
    pop = planted_population(n_participants=400, n_statements=30, seed=6)
    full = fit_bridging(pop.table)
    result = bootstrap(pop.table, n_resamples=60, bridging=full)
    inside = []
    for s, b in zip(result.statements, full.statements, strict=True):
        assert s.bridging_score is not None
        assert s.bridging_factor is not None
        assert s.bridging_score.value == b.score
        inside.append(s.bridging_score.low <= b.score <= s.bridging_score.high)
        inside.append(s.bridging_factor.low <= b.factor <= s.bridging_factor.high)
    assert np.mean(inside) >= 0.9


def test_a_participant_drawn_twice_counts_as_two_identical_participants() -> None:
    pop = planted_population(n_participants=120, n_statements=15, seed=8)
    t = pop.table
    first = t.participant == 0
    copy = VoteTable(
        np.concatenate([t.participant, np.full(int(first.sum()), t.n_participants)]),
        np.concatenate([t.statement, t.statement[first]]),
        np.concatenate([t.value, t.value[first]]),
        t.n_participants + 1,
        t.n_statements,
    )
    duplicated = fit_bridging(copy, tol=1e-14, max_iter=10_000)
    weights = np.ones(t.n_participants)
    weights[0] = 2.0
    design = RatingDesign(ratings_from_votes(t))
    weighted = refit_weighted(design, weights, fit_bridging(t).params, tol=1e-14, max_iter=10_000)
    sign = np.sign(weighted.params.statement_factor @ duplicated.params.statement_factor)
    assert np.allclose(
        weighted.params.statement_intercept, duplicated.params.statement_intercept, atol=1e-6
    )
    assert np.allclose(
        sign * weighted.params.statement_factor, duplicated.params.statement_factor, atol=1e-6
    )


def test_it_is_reproducible_and_finite_with_unvoted_statements() -> None:
    pop = planted_population(n_participants=80, n_statements=10, seed=1)
    t = pop.table
    table = VoteTable(t.participant, t.statement, t.value, t.n_participants + 2, t.n_statements + 1)
    groups = np.concatenate([pop.camp, [-1, -1]])
    a = bootstrap(table, groups=groups, n_resamples=30, seed=7).to_dict()
    b = bootstrap(table, groups=groups, n_resamples=30, seed=7).to_dict()
    assert json.dumps(a, allow_nan=False) == json.dumps(b, allow_nan=False)
    unvoted = a["statements"][-1]
    assert unvoted["n_votes"] == 0
    assert unvoted["agree_rate"] == {"value": 0.0, "low": 0.0, "high": 1.0}
    assert unvoted["group_spread"] is None


def test_resamples_holding_only_passes_are_left_out_not_fatal() -> None:
    # One rater and one participant who only passed: a quarter of the
    # resamples draw the passer twice and have no ratings at all.
    table = VoteTable(
        np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, -1, 0], dtype=np.int8), 2, 2
    )
    result = bootstrap(table, n_resamples=50)
    json.dumps(result.to_dict(), allow_nan=False)
    score = result.statements[0].bridging_score
    assert score is not None
    # Every usable resample is the lone rater again: the refits (sweeps
    # started from the full fit) agree with it to within 1e-4.
    assert score.low == pytest.approx(score.value, abs=1e-4)
    assert score.high == pytest.approx(score.value, abs=1e-4)


def test_an_empty_table_gives_an_empty_result() -> None:
    empty = np.zeros(0, dtype=np.int64)
    result = bootstrap(VoteTable(empty, empty, empty.astype(np.int8), 0, 0), n_resamples=5)
    assert result.statements == ()


def test_bad_arguments_are_refused() -> None:
    pop = planted_population(n_participants=20, n_statements=5, seed=1)
    with pytest.raises(EngineInputError, match="one label per participant"):
        bootstrap(pop.table, groups=np.zeros(3, dtype=np.int64))
    with pytest.raises(EngineInputError, match="n_resamples"):
        bootstrap(pop.table, n_resamples=0)


def two_camp_table(rng: np.random.Generator, agree: np.ndarray, n_participants: int) -> VoteTable:
    """Two equal camps; everyone votes on every statement, agreeing with the
    camp's planted probability agree[camp, statement], else disagreeing."""
    n_s = agree.shape[1]
    camp = np.arange(n_participants) % 2
    p = np.repeat(np.arange(n_participants), n_s)
    s = np.tile(np.arange(n_s), n_participants)
    value = np.where(rng.random(p.size) < agree[camp[p], s], 1, -1).astype(np.int8)
    return VoteTable(p, s, value, n_participants, n_s)


@pytest.mark.parametrize("sweeps", [None, MIN_SWEEPS])
def test_bridging_score_intervals_cover_the_planted_score_about_95_percent_of_the_time(
    sweeps: int | None,
) -> None:
    # Statements from consensual to divisive. The planted score is what the
    # model estimates from the whole population: the fit on 40,000 people
    # drawn the same way (the score is a regularised fit, so its target is
    # that limit, not a probability). Intervals half as wide cover about 2/3
    # of the time; intervals of refits that barely move from the full fit,
    # far less. Run with the sweeps a space this small gets (refits close to
    # converged) and with the fewest a large space gets.
    agree = np.array(
        [
            [0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2, 0.9, 0.7, 0.1],
            [0.9, 0.7, 0.6, 0.3, 0.5, 0.3, 0.8, 0.1, 0.2, 0.2],
        ]
    )
    rng = np.random.default_rng(3)
    planted = fit_bridging(two_camp_table(rng, agree, 40_000)).params.statement_intercept
    hits = []
    for run in range(36):
        table = two_camp_table(rng, agree, 160)
        result = bootstrap(table, n_resamples=100, seed=run, bridging_sweeps=sweeps)
        for s in result.statements:
            assert s.bridging_score is not None
            hits.append(s.bridging_score.low <= planted[s.statement] <= s.bridging_score.high)
    coverage = float(np.mean(hits))
    assert 0.88 <= coverage <= 0.99, coverage


def test_batched_refits_reach_each_resamples_own_refit() -> None:
    pop = planted_population(n_participants=150, n_statements=12, seed=5)
    full = fit_bridging(pop.table)
    design = RatingDesign(ratings_from_votes(pop.table))
    rng = np.random.default_rng(2)
    weights = rng.multinomial(150, np.full(150, 1 / 150), size=4).T.astype(np.float64)
    weights[:, 3] = 0.0  # a resample with no ratings at all gives zeros
    intercepts, factors = refit_resamples(design, weights, full.params, sweeps=2000)
    for b in range(3):
        own = refit_weighted(design, weights[:, b], full.params, tol=1e-15, max_iter=5000)
        assert np.allclose(intercepts[:, b], own.params.statement_intercept, atol=1e-5)
        assert np.allclose(factors[:, b], own.params.statement_factor, atol=1e-5)
    assert not intercepts[:, 3].any()
    assert not factors[:, 3].any()


def test_small_spaces_get_more_refit_sweeps_than_large_ones() -> None:
    assert refit_sweeps(2_000) == 40
    assert refit_sweeps(40_000) == 10
    assert refit_sweeps(1_000_000) == MIN_SWEEPS


def test_the_result_records_its_method_and_sweeps() -> None:
    pop = planted_population(n_participants=60, n_statements=8, seed=2)
    result = bootstrap(pop.table, n_resamples=10).to_dict()
    assert result["method"] == "participant-percentile/2"
    assert result["bridging_sweeps"] == refit_sweeps(int((pop.table.value != 0).sum()))
    without = bootstrap(pop.table, n_resamples=10, include_bridging=False).to_dict()
    assert without["bridging_sweeps"] is None
