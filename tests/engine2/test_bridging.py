from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregation.engine.bridging import (
    GLOBAL_INTERCEPT_LAMBDA,
    STATEMENT_FACTOR_LAMBDA,
    STATEMENT_INTERCEPT_LAMBDA,
    USER_FACTOR_LAMBDA,
    USER_INTERCEPT_LAMBDA,
    Params,
    bridging_by_id,
    fit_bridging,
    ratings_from_votes,
)
from aggregation.engine.votes import EngineInputError, VoteTable
from tests.engine2.synthetic import BRIDGING, DIVISIVE, planted_population


def reference_loss_and_gradient(table: VoteTable, prm: Params) -> tuple[float, float]:
    """The reference's mean-form loss and its largest gradient entry, by gathers."""
    r = ratings_from_votes(table)
    p, s, y = r.participant, r.statement, r.rating
    users, stmts = np.unique(p), np.unique(s)
    n, n_u, n_s = y.size, users.size, stmts.size
    iu, fu = prm.user_intercept, prm.user_factor
    is_, fs = prm.statement_intercept, prm.statement_factor
    res = y - (prm.mu + iu[p] + is_[s] + fu[p] * fs[s])
    loss = (
        float(np.mean(res**2))
        + USER_FACTOR_LAMBDA * float(np.mean(fu[users] ** 2))
        + USER_INTERCEPT_LAMBDA * float(np.mean(iu[users] ** 2))
        + STATEMENT_FACTOR_LAMBDA * float(np.mean(fs[stmts] ** 2))
        + STATEMENT_INTERCEPT_LAMBDA * float(np.mean(is_[stmts] ** 2))
        + GLOBAL_INTERCEPT_LAMBDA * prm.mu**2
    )
    m = table.n_participants
    k = table.n_statements
    grads = [
        -2 * np.bincount(p, res, m)[users] / n + 2 * USER_INTERCEPT_LAMBDA * iu[users] / n_u,
        -2 * np.bincount(p, res * fs[s], m)[users] / n + 2 * USER_FACTOR_LAMBDA * fu[users] / n_u,
        -2 * np.bincount(s, res, k)[stmts] / n + 2 * STATEMENT_INTERCEPT_LAMBDA * is_[stmts] / n_s,
        -2 * np.bincount(s, res * fu[p], k)[stmts] / n
        + 2 * STATEMENT_FACTOR_LAMBDA * fs[stmts] / n_s,
        np.array([-2 * res.mean() + 2 * GLOBAL_INTERCEPT_LAMBDA * prm.mu]),
    ]
    # Scale per-row gradients by the row's share so each reads as a per-row
    # stationarity condition rather than shrinking with the table size.
    scaled = [grads[0] * n_u, grads[1] * n_u, grads[2] * n_s, grads[3] * n_s, grads[4]]
    return loss, max(float(np.abs(g).max()) for g in scaled)


@pytest.mark.parametrize("n_camps", [2, 3])
def test_it_finds_planted_bridging_statements_with_high_precision_and_recall(n_camps: int) -> None:
    pop = planted_population(n_participants=800, n_statements=120, n_camps=n_camps, seed=n_camps)
    result = fit_bridging(pop.table)
    called = np.array([s.status == "bridging" for s in result.statements])
    planted = pop.kind == BRIDGING
    true_pos = int(np.sum(called & planted))
    precision = true_pos / max(int(called.sum()), 1)
    recall = true_pos / int(planted.sum())
    assert precision >= 0.9
    assert recall >= 0.9
    assert not np.any(called & (pop.kind == DIVISIVE))
    assert result.converged


def test_divisive_statements_carry_the_factor_not_the_intercept() -> None:
    pop = planted_population(seed=11)
    result = fit_bridging(pop.table)
    factor = np.array([s.factor for s in result.statements])
    divisive = pop.kind == DIVISIVE
    assert np.median(np.abs(factor[divisive])) > 0.5
    assert np.median(np.abs(factor[~divisive])) < 0.2


def test_the_fit_reaches_a_stationary_point_of_the_reference_loss() -> None:
    pop = planted_population(n_participants=300, n_statements=40, seed=5)
    result = fit_bridging(pop.table, tol=1e-13, max_iter=5000)
    loss, max_grad = reference_loss_and_gradient(pop.table, result.params)
    assert result.loss == pytest.approx(loss, rel=1e-9)
    assert max_grad < 1e-5


def test_the_loss_reported_is_the_reference_loss_at_default_tolerance() -> None:
    pop = planted_population(n_participants=200, n_statements=30, seed=9)
    result = fit_bridging(pop.table)
    loss, max_grad = reference_loss_and_gradient(pop.table, result.params)
    assert result.loss == pytest.approx(loss, rel=1e-9)
    assert max_grad < 1e-2
    assert 0 < result.iterations < 500


def test_factor_sign_puts_the_larger_side_of_participants_negative() -> None:
    pop = planted_population(seed=3)
    result = fit_bridging(pop.table)
    rated = np.unique(ratings_from_votes(pop.table).participant)
    f = result.params.user_factor[rated]
    assert np.count_nonzero(f < 0) * 2 >= np.count_nonzero(f)


def test_the_same_input_gives_bit_identical_output() -> None:
    pop = planted_population(n_participants=200, n_statements=30, seed=2)
    a = json.dumps(fit_bridging(pop.table).to_dict())
    b = json.dumps(fit_bridging(pop.table).to_dict())
    assert a == b


def table_from(rows: list[tuple[int, int, int]], n_p: int, n_s: int) -> VoteTable:
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return VoteTable(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int8), n_p, n_s)


def test_statements_with_fewer_than_five_raters_get_no_status() -> None:
    rows = (
        [(u, 0, 1) for u in range(4)]
        + [(u, 1, 1) for u in range(6)]
        + [(u, 1, -1) for u in range(6, 8)]
    )
    result = fit_bridging(table_from(rows, 8, 3))
    statuses = [s.status for s in result.statements]
    assert statuses[0] == "too_few_ratings"
    assert statuses[1] != "too_few_ratings"
    assert statuses[2] == "too_few_ratings"  # never rated
    assert result.statements[2].score == 0.0
    assert result.statements[2].n_raters == 0


def test_passes_are_not_ratings() -> None:
    rows = [(u, 0, 0) for u in range(10)]
    result = fit_bridging(table_from(rows, 10, 1))
    assert result.n_ratings == 0
    assert result.statements[0].status == "too_few_ratings"
    assert result.note is not None


def test_one_sided_data_gives_a_finite_result_with_a_note() -> None:
    rows = [(u, s, 1) for u in range(30) for s in range(5)]
    result = fit_bridging(table_from(rows, 30, 5))
    d = result.to_dict()
    assert d["note"] is not None
    assert "every rating is agree" in d["note"]
    # The optimum lets the weakly regularised factor term carry part of the
    # common rating, identically for every statement: no statement stands out.
    scores = [s["score"] for s in d["statements"]]
    factors = [s["factor"] for s in d["statements"]]
    assert max(scores) - min(scores) < 1e-6
    assert max(factors) - min(factors) < 1e-6
    assert all(np.isfinite(scores))
    assert all(np.isfinite(factors))
    json.dumps(d, allow_nan=False)


def test_an_empty_table_gives_zeros_and_a_reason() -> None:
    empty = np.zeros(0, dtype=np.int64)
    result = fit_bridging(VoteTable(empty, empty, empty.astype(np.int8), 0, 0))
    assert result.statements == ()
    assert result.note == "no agree/disagree votes: nothing to fit"


def test_duplicate_ratings_are_refused_with_a_clear_message() -> None:
    with pytest.raises(EngineInputError, match="twice"):
        fit_bridging(table_from([(0, 0, 1), (0, 0, -1)], 1, 1))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 5), st.sampled_from([-1, 0, 1])),
        max_size=40,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_any_small_table_gives_finite_json(rows: list[tuple[int, int, int]]) -> None:
    result = fit_bridging(table_from(rows, 8, 6))
    json.dumps(result.to_dict(), allow_nan=False)
    assert len(result.statements) == 6


def test_the_polis_bridging_object_is_keyed_by_the_callers_ids() -> None:
    pop = planted_population(n_participants=100, n_statements=4, seed=1)
    result = fit_bridging(pop.table)
    obj = bridging_by_id(result, [10, 11, 12, 13])
    assert list(obj) == ["10", "11", "12", "13"]
    assert obj["12"] == {
        "score": result.statements[2].score,
        "factor": result.statements[2].factor,
        "status": result.statements[2].status,
    }
    with pytest.raises(EngineInputError):
        bridging_by_id(result, [1])
