"""Intervals for a rate that are honest at any number of votes.

A percentile bootstrap over participants gives a zero-width interval when
one person voted (every resample repeats that vote): "100% agree
(100%-100%)". For a proportion, the Wilson score interval (Wilson 1927) has
no such failure: with k successes out of n and z the normal quantile of the
level,

    centre    = (k + z^2 / 2) / (n + z^2)
    half      = z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)
    interval  = [centre - half, centre + half]

It stays inside [0, 1], always contains the observed rate k / n, is wide
when n is small (one agree out of one: about 21% to 100%) and narrows as n
grows: with the rate k / n held fixed, its width never increases with n
(the derivative of the width in n is negative for every n >= 1). With no
votes the interval is the whole range [0, 1].

Wilson rather than a Jeffreys (Beta) posterior interval: both have close to
nominal coverage, but Wilson is closed-form and its monotone narrowing holds
exactly, which the profile's ordering relies on.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

LEVEL = 0.95


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, level: float = LEVEL
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The Wilson score interval of successes / trials, elementwise: (low, high).

    `successes` and `trials` are non-negative counts of one shape with
    successes <= trials. Where trials is 0 the interval is [0, 1].
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if k.shape != n.shape:
        raise ValueError(f"successes {k.shape} and trials {n.shape} differ in shape")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and trials")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, not {level}")
    z = float(norm.ppf(0.5 + level / 2.0))
    z2 = z * z
    safe_n = np.where(n > 0, n, 1.0)
    centre = (k + z2 / 2.0) / (safe_n + z2)
    half = z / (safe_n + z2) * np.sqrt(np.maximum(k * (safe_n - k) / safe_n, 0.0) + z2 / 4.0)
    rate = k / safe_n
    # Rounding can leave the bound a hair past the observed rate at 0 or 1;
    # the interval must contain it.
    low = np.clip(np.minimum(centre - half, rate), 0.0, 1.0)
    high = np.clip(np.maximum(centre + half, rate), 0.0, 1.0)
    empty = n == 0
    low = np.where(empty, 0.0, low)
    high = np.where(empty, 1.0, high)
    return low, high
