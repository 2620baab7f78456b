"""Consensus measures over opinion groups."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def group_aware_consensus(
    agree_counts: NDArray[np.integer], vote_counts: NDArray[np.integer]
) -> NDArray[np.float64]:
    """Pol.is's group-aware consensus of each statement.

    `agree_counts` and `vote_counts` are (n_groups, n_statements): agrees A_g
    and all votes S_g (passes included) within each group. The result is the
    product over groups of (A_g + 1) / (S_g + 2).
    """
    a = np.asarray(agree_counts, dtype=np.float64)
    s = np.asarray(vote_counts, dtype=np.float64)
    return np.prod((a + 1.0) / (s + 2.0), axis=0)
