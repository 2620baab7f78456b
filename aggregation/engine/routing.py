"""Pol.is's comment priorities: which statement to show a participant next."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

META_PRIORITY = 7.0


def comment_priorities(
    *,
    agree: NDArray[np.integer] | NDArray[np.floating],
    passes: NDArray[np.integer] | NDArray[np.floating],
    seen: NDArray[np.integer] | NDArray[np.floating],
    extremity: NDArray[np.floating],
    is_meta: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Pol.is's `priority-metric` per statement.

    a = (A+1)/(S+2), p = (P+1)/(S+2), E = extremity;
    priority = ((1 - p) (E + 1) a (1 + 8 * 2^(-S/5)))^2, and 7^2 = 49 for meta
    statements. The last factor lets statements with few votes bubble up.
    """
    a_ = np.asarray(agree, dtype=np.float64)
    p_ = np.asarray(passes, dtype=np.float64)
    s_ = np.asarray(seen, dtype=np.float64)
    a = (a_ + 1.0) / (s_ + 2.0)
    p = (p_ + 1.0) / (s_ + 2.0)
    importance = (1.0 - p) * (np.asarray(extremity, dtype=np.float64) + 1.0) * a
    base = importance * (1.0 + 8.0 * np.power(2.0, -s_ / 5.0))
    return np.asarray(np.where(is_meta, META_PRIORITY, base) ** 2)
