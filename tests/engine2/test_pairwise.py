from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from aggregation.engine.pairwise import bradley_terry, choose_next_pair
from aggregation.engine.votes import EngineInputError


def simulate(
    n_items: int, n_comparisons: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, n_items)
    a = rng.integers(0, n_items, n_comparisons)
    b = (a + rng.integers(1, n_items, n_comparisons)) % n_items
    a_wins = rng.random(n_comparisons) < 1 / (1 + np.exp(-(theta[a] - theta[b])))
    return theta, np.where(a_wins, a, b), np.where(a_wins, b, a)


def test_it_recovers_planted_strengths() -> None:
    theta, winners, losers = simulate(50, 20_000, seed=1)
    result = bradley_terry(winners, losers, 50)
    rho = spearmanr(result.strengths, theta).statistic
    assert rho >= 0.95
    assert result.converged
    assert result.n_components == 1


def test_intervals_cover_planted_strengths_about_95_percent() -> None:
    theta, winners, losers = simulate(200, 40_000, seed=2)
    result = bradley_terry(winners, losers, 200)
    # The model fixes strengths only up to a shift; the prior centres them.
    centred = theta - theta.mean()
    low = np.array([i.strength_low for i in result.items])
    high = np.array([i.strength_high for i in result.items])
    coverage = float(np.mean((low <= centred) & (centred <= high)))
    assert 0.9 <= coverage <= 0.99


def test_the_score_is_the_chance_to_beat_a_random_other_statement() -> None:
    result = bradley_terry([0, 0, 0, 1], [1, 2, 2, 2], 3)
    theta = result.strengths
    p01 = 1 / (1 + np.exp(-(theta[0] - theta[1])))
    p02 = 1 / (1 + np.exp(-(theta[0] - theta[2])))
    assert result.items[0].score == pytest.approx(100 * (p01 + p02) / 2)
    assert result.items[0].score_low < result.items[0].score < result.items[0].score_high
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True)


def test_a_disconnected_graph_gives_finite_scores_and_says_so() -> None:
    # Two separate pairs plus a statement never compared; 0 always wins.
    result = bradley_terry([0, 0, 0, 2, 3], [1, 1, 1, 3, 2], 5)
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert result.n_components == 3
    assert "separate parts" in (result.note or "")
    assert result.items[4].strength == 0.0
    assert result.items[4].score_low < result.items[4].score_high
    assert result.items[0].strength > result.items[1].strength


def test_undecided_answers_are_counted_but_do_not_move_strengths() -> None:
    base = bradley_terry([0, 1], [1, 2], 3)
    with_undecided = bradley_terry([0, 1], [1, 2], 3, undecided=[[0, 2], [0, 2], [1, 2]])
    assert np.allclose(base.strengths, with_undecided.strengths)
    assert [i.undecided for i in with_undecided.items] == [2, 1, 3]
    assert with_undecided.n_undecided == 3
    assert with_undecided.n_comparisons == 2


def test_no_comparisons_give_the_prior() -> None:
    result = bradley_terry([], [], 3)
    assert all(i.strength == 0.0 and i.score == 50.0 for i in result.items)
    assert result.note is not None


@pytest.mark.parametrize(
    ("winners", "losers", "n", "message"),
    [([0], [3], 3, "out of range"), ([1], [1], 3, "itself"), ([0, 1], [2], 3, "one entry")],
)
def test_bad_comparisons_are_refused_clearly(
    winners: list[int], losers: list[int], n: int, message: str
) -> None:
    with pytest.raises(EngineInputError, match=message):
        bradley_terry(winners, losers, n)


def test_the_pair_chooser_never_repeats_the_previous_pair_and_is_seeded() -> None:
    _, winners, losers = simulate(6, 200, seed=3)
    result = bradley_terry(winners, losers, 6)
    previous = choose_next_pair(result, seed=0)
    for seed in range(200):
        pair = choose_next_pair(result, previous=previous, seed=seed)
        assert set(pair) != set(previous)
        assert pair[0] != pair[1]
        assert pair == choose_next_pair(result, previous=previous, seed=seed)
        previous = pair


def test_the_pair_chooser_prefers_rarely_compared_statements() -> None:
    # Statements 0-3 compared a lot, 4 and 5 never: 4 and 5 should come up more.
    rng = np.random.default_rng(4)
    a = rng.integers(0, 4, 400)
    b = (a + rng.integers(1, 4, 400)) % 4
    result = bradley_terry(a, b, 6)
    shown = Counter(k for seed in range(500) for k in choose_next_pair(result, seed=seed))
    assert shown[4] > 2 * shown[0]
    assert shown[5] > 2 * shown[1]


def test_the_pair_chooser_prefers_uncertain_outcomes() -> None:
    # 0 and 1 are evenly matched; 2 loses to everyone; all equally often compared.
    winners = [0, 1] * 30 + [0, 1] * 30
    losers = [1, 0] * 30 + [2, 2] * 30
    result = bradley_terry(winners, losers, 3)
    picks = Counter(frozenset(choose_next_pair(result, seed=s)) for s in range(300))
    assert picks[frozenset((0, 1))] > picks[frozenset((0, 2))]


def test_the_pair_chooser_refuses_when_no_other_pair_exists() -> None:
    result = bradley_terry([0], [1], 2)
    with pytest.raises(EngineInputError, match="no pair"):
        choose_next_pair(result, previous=(1, 0))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6)).filter(lambda t: t[0] != t[1]), max_size=30
    )
)
def test_any_small_comparison_set_gives_finite_json(pairs: list[tuple[int, int]]) -> None:
    winners = [w for w, _ in pairs]
    losers = [loser for _, loser in pairs]
    result = bradley_terry(winners, losers, 7, undecided=pairs[:3])
    json.dumps(result.to_dict(), allow_nan=False)
    for item in result.items:
        assert item.strength_low <= item.strength <= item.strength_high
        assert 0.0 <= item.score_low <= item.score <= item.score_high <= 100.0
