"""Pairwise preference tallies: how often each statement was preferred to another.

The preference-data export (`?format=preferences`) turns a space's pairwise
choices and ranked ballots into `{prompt, chosen, rejected}` records, one per
pair of statements. This module counts them, per unordered pair, from the
same arrays the Bradley-Terry fit and the ranking rules read:

- a comparison answered "a" or "b" is one preference; "can't decide" is
  counted apart (it prefers neither);
- a ranked ballot gives one preference for each pair of statements it
  lists, the higher-ranked one preferred. Statements a ballot leaves out are
  not compared by it: "not in my top k" says less than a choice between two.

Nothing here knows who answered: the tallies are counts per pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class PairTally:
    """Counts for the unordered pair (low, high) of item indices, low < high."""

    low: int
    high: int
    # Pairwise comparisons answered for one side, and "can't decide".
    low_chosen: int
    high_chosen: int
    undecided: int
    # Ranked ballots listing both, by which one they put higher.
    low_ranked_higher: int
    high_ranked_higher: int


def _keyed(first: NDArray[np.int64], second: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Each (first, second) as the key low * n + high of its unordered pair."""
    return np.minimum(first, second) * n + np.maximum(first, second)


def _count(keys: NDArray[np.int64], universe: NDArray[np.int64]) -> NDArray[np.int64]:
    """How often each key of `universe` (sorted, unique) occurs in `keys`."""
    if not keys.size:
        return np.zeros(universe.size, dtype=np.int64)
    found, counts = np.unique(keys, return_counts=True)
    out = np.zeros(universe.size, dtype=np.int64)
    out[np.searchsorted(universe, found)] = counts
    return out


def tally_pairs(
    *,
    winners: NDArray[np.int64],
    losers: NDArray[np.int64],
    undecided: NDArray[np.int64],
    ballots: Sequence[Sequence[int]],
    n_items: int,
) -> list[PairTally]:
    """One tally per pair that was compared or ranked together, in (low, high) order.

    `winners[i]` was chosen over `losers[i]`; `undecided` is an (m, 2) array of
    pairs answered "can't decide"; each ballot lists item indices best first.
    """
    n = max(n_items, 1)
    winners = np.asarray(winners, dtype=np.int64)
    losers = np.asarray(losers, dtype=np.int64)
    undecided = np.asarray(undecided, dtype=np.int64).reshape(-1, 2)
    above: list[int] = []
    below: list[int] = []
    for ballot in ballots:
        for i, upper in enumerate(ballot):
            for lower in ballot[i + 1 :]:
                above.append(upper)
                below.append(lower)
    ranked_above = np.array(above, dtype=np.int64)
    ranked_below = np.array(below, dtype=np.int64)

    won_low = winners < losers
    keys = {
        "low_chosen": _keyed(winners[won_low], losers[won_low], n),
        "high_chosen": _keyed(winners[~won_low], losers[~won_low], n),
        "undecided": _keyed(undecided[:, 0], undecided[:, 1], n),
    }
    above_low = ranked_above < ranked_below
    keys["low_ranked_higher"] = _keyed(ranked_above[above_low], ranked_below[above_low], n)
    keys["high_ranked_higher"] = _keyed(ranked_above[~above_low], ranked_below[~above_low], n)
    universe = np.unique(np.concatenate([k for k in keys.values()] + [np.zeros(0, np.int64)]))
    counts = {name: _count(k, universe) for name, k in keys.items()}
    return [
        PairTally(
            low=int(key // n),
            high=int(key % n),
            low_chosen=int(counts["low_chosen"][i]),
            high_chosen=int(counts["high_chosen"][i]),
            undecided=int(counts["undecided"][i]),
            low_ranked_higher=int(counts["low_ranked_higher"][i]),
            high_ranked_higher=int(counts["high_ranked_higher"][i]),
        )
        for i, key in enumerate(universe)
    ]
