"""Synthetic populations with planted structure, shared by the engine2 tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from aggregation.engine.votes import VoteTable

BRIDGING, DIVISIVE, UNPOPULAR = 0, 1, 2


@dataclass(frozen=True)
class Population:
    table: VoteTable
    camp: NDArray[np.int64]
    kind: NDArray[np.int64]
    agree_prob: NDArray[np.float64]  # (n_camps, n_statements)


def planted_population(
    *,
    n_participants: int = 600,
    n_statements: int = 60,
    n_camps: int = 2,
    density: float = 0.5,
    pass_rate: float = 0.1,
    share: tuple[float, float, float] = (0.2, 0.5, 0.3),
    seed: int = 0,
) -> Population:
    """Camps of equal expected size; three kinds of statement.

    bridging: every camp agrees with probability 0.85; divisive: one camp
    agrees with 0.9, every other camp with 0.1; unpopular: 0.3 everywhere.
    Each participant sees a random `density` share of the statements and
    passes on `pass_rate` of them.
    """
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, n_camps, n_participants)
    kind = rng.choice(3, n_statements, p=list(share))
    side = rng.integers(0, n_camps, n_statements)
    prob = np.empty((n_camps, n_statements))
    for c in range(n_camps):
        divisive = np.where(side == c, 0.9, 0.1)
        prob[c] = np.select([kind == BRIDGING, kind == DIVISIVE], [0.85, divisive], 0.3)
    seen = rng.random((n_participants, n_statements)) < density
    p, s = np.nonzero(seen)
    agree = rng.random(p.size) < prob[camp[p], s]
    value = np.where(agree, 1, -1)
    value[rng.random(p.size) < pass_rate] = 0
    table = VoteTable(
        participant=p.astype(np.int64),
        statement=s.astype(np.int64),
        value=value.astype(np.int8),
        n_participants=n_participants,
        n_statements=n_statements,
    )
    return Population(
        table=table, camp=camp.astype(np.int64), kind=kind.astype(np.int64), agree_prob=prob
    )
