from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregation.engine.intervals import wilson_interval


@st.composite
def split(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=5000))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(split())
def test_the_interval_always_contains_the_observed_rate(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(np.array([k]), np.array([n]))
    assert 0.0 <= low[0] <= k / n <= high[0] <= 1.0


@given(split(), st.integers(min_value=2, max_value=200))
def test_more_votes_of_the_same_split_never_widen_it(kn: tuple[int, int], factor: int) -> None:
    k, n = kn
    low, high = wilson_interval(np.array([k, k * factor]), np.array([n, n * factor]))
    assert high[1] - low[1] <= high[0] - low[0] + 1e-12


def test_one_agree_out_of_one_is_far_from_certain() -> None:
    low, high = wilson_interval(np.array([1]), np.array([1]))
    assert high[0] == 1.0
    assert low[0] < 0.25


def test_no_votes_give_the_whole_range() -> None:
    low, high = wilson_interval(np.array([0, 3]), np.array([0, 4]))
    assert (low[0], high[0]) == (0.0, 1.0)
    assert 0.0 < low[1] < 0.75 < high[1] < 1.0


def test_it_refuses_more_successes_than_trials() -> None:
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson_interval(np.array([3]), np.array([2]))


def test_it_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(1)
    hits = []
    for n in (10, 40, 200):
        for p in (0.1, 0.5, 0.8):
            k = rng.binomial(n, p, size=2000)
            low, high = wilson_interval(k, np.full(k.shape, n))
            hits.append(np.mean((low <= p) & (p <= high)))
    assert 0.92 <= float(np.mean(hits)) <= 0.98
