"""Bootstrap over participants: intervals for the statement measures.

Each resample draws participants with replacement (as many as took part,
seeded, so the result is reproducible bit for bit); a participant drawn m
times counts m times. The 95% interval of a measure is the 2.5th to 97.5th
percentile of its value over the resamples (the percentile bootstrap).

Measures, per statement:

- agree rate = agrees / all votes (passes included, as Pol.is counts them),
  and likewise the disagree rate;
- group-aware consensus (consensus.group_aware_consensus) of agrees and of
  disagrees, given a group label per participant (-1: in no group);
- per-group agree rates and their spread (largest minus smallest group
  agree rate among the groups that voted on the statement);
- the bridging score and factor, refitting the Community Notes model on
  each resample, warm-started from the full fit. A resampled factor's sign
  is aligned with the full fit's (the sign is arbitrary; see bridging.py).

Counting is vectorised: the resample multiplicities form a (participants x
resamples) matrix, and every count is one sparse matrix product.

A statement that gets no votes in some resamples takes its interval from the
resamples where it has votes; with no votes at all its interval is the whole
range the measure can take, and its count is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from aggregation.engine.bridging import (
    BridgingResult,
    RatingDesign,
    fit_bridging,
    ratings_from_votes,
    refit_weighted,
)
from aggregation.engine.consensus import group_aware_consensus
from aggregation.engine.votes import AGREE, DISAGREE, EngineInputError, VoteTable

N_RESAMPLES = 200
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class StatementUncertainty:
    statement: int
    n_votes: int
    agree_rate: Interval
    disagree_rate: Interval
    group_consensus: Interval | None
    group_consensus_disagree: Interval | None
    group_agree_rates: tuple[float | None, ...]
    group_spread: Interval | None
    bridging_score: Interval | None
    bridging_factor: Interval | None

    def to_dict(self) -> dict[str, Any]:
        def opt(i: Interval | None) -> dict[str, float] | None:
            return None if i is None else i.to_dict()

        return {
            "statement": self.statement,
            "n_votes": self.n_votes,
            "agree_rate": self.agree_rate.to_dict(),
            "disagree_rate": self.disagree_rate.to_dict(),
            "group_consensus": opt(self.group_consensus),
            "group_consensus_disagree": opt(self.group_consensus_disagree),
            "group_agree_rates": list(self.group_agree_rates),
            "group_spread": opt(self.group_spread),
            "bridging_score": opt(self.bridging_score),
            "bridging_factor": opt(self.bridging_factor),
        }


@dataclass(frozen=True)
class BootstrapResult:
    statements: tuple[StatementUncertainty, ...]
    n_resamples: int
    seed: int
    level: float
    n_groups: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "level": self.level,
            "n_groups": self.n_groups,
            "statements": [s.to_dict() for s in self.statements],
        }


def _indicator(table: VoteTable, mask: NDArray[np.bool_]) -> sp.csr_array:
    """(statements x participants) 0/1 matrix of the votes selected by mask."""
    return sp.csr_array(
        (np.ones(int(mask.sum())), (table.statement[mask], table.participant[mask])),
        shape=(table.n_statements, table.n_participants),
    )


def _intervals(
    point: NDArray[np.float64],
    samples: NDArray[np.float64],
    valid: NDArray[np.bool_],
    level: float,
    full_range: tuple[float, float],
) -> list[Interval]:
    """Percentile intervals per row of samples, over the valid columns only."""
    masked = np.where(valid, samples, np.nan)
    tail = 100 * (1 - level) / 2
    has_any = valid.any(axis=1)
    low = np.full(point.size, full_range[0])
    high = np.full(point.size, full_range[1])
    if has_any.any():
        q = np.nanpercentile(masked[has_any], [tail, 100 - tail], axis=1)
        low[has_any], high[has_any] = q[0], q[1]
    return [
        Interval(float(p), float(lo), float(hi)) for p, lo, hi in zip(point, low, high, strict=True)
    ]


def _rate(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def bootstrap(
    table: VoteTable,
    *,
    groups: NDArray[np.integer] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    bridging: BridgingResult | None = None,
    include_bridging: bool = True,
) -> BootstrapResult:
    """Percentile-bootstrap intervals for every statement of `table`.

    `groups` gives each participant's group (-1: none); without it the group
    measures are None. `bridging` is the full fit if the caller has it
    (otherwise it is fitted here); `include_bridging=False` skips the refits.
    """
    if n_resamples < 1 or not 0 < level < 1:
        raise EngineInputError("n_resamples must be >= 1 and level between 0 and 1")
    n_p, n_s = table.n_participants, table.n_statements
    labels = None
    if groups is not None:
        labels = np.asarray(groups, dtype=np.int64)
        if labels.shape != (n_p,):
            raise EngineInputError("groups must give one label per participant")
    rng = np.random.default_rng(seed)
    voters = np.flatnonzero(np.bincount(table.participant, minlength=n_p) > 0)
    # Multiplicity of every participant in every resample: (participants, B).
    weights = np.zeros((n_p, n_resamples))
    if voters.size:
        counts = rng.multinomial(
            voters.size, np.full(voters.size, 1.0 / voters.size), size=n_resamples
        )
        weights[voters] = counts.T
    ones = np.ones((n_p, 1))

    agree_m = _indicator(table, table.value == AGREE)
    disagree_m = _indicator(table, table.value == DISAGREE)
    votes_m = _indicator(table, np.ones(table.n_votes, dtype=bool))
    n_votes = (votes_m @ ones).ravel()

    def rates(matrix: sp.csr_array) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return _rate((matrix @ ones).ravel(), n_votes), _rate(matrix @ weights, votes_m @ weights)

    valid = (votes_m @ weights) > 0
    agree_point, agree_samples = rates(agree_m)
    disagree_point, disagree_samples = rates(disagree_m)
    agree_iv = _intervals(agree_point, agree_samples, valid, level, (0.0, 1.0))
    disagree_iv = _intervals(disagree_point, disagree_samples, valid, level, (0.0, 1.0))

    n_groups = 0
    gac: list[Interval | None] = [None] * n_s
    gac_d: list[Interval | None] = [None] * n_s
    spread: list[Interval | None] = [None] * n_s
    group_rates: list[tuple[float | None, ...]] = [()] * n_s
    if labels is not None:
        n_groups = int(labels.max(initial=-1)) + 1
    if labels is not None and n_groups > 0:
        member = np.stack([(labels == g).astype(np.float64) for g in range(n_groups)])  # (G, P)
        # Full-data counts: (G, S); resampled: (G, S, B).
        a_full = np.stack([agree_m @ m for m in member])
        d_full = np.stack([disagree_m @ m for m in member])
        v_full = np.stack([votes_m @ m for m in member])
        a_boot = np.stack([agree_m @ (weights * m[:, None]) for m in member])
        d_boot = np.stack([disagree_m @ (weights * m[:, None]) for m in member])
        v_boot = np.stack([votes_m @ (weights * m[:, None]) for m in member])
        gac_point = group_aware_consensus(a_full, v_full)
        gac_d_point = group_aware_consensus(d_full, v_full)
        gac_samples = group_aware_consensus(
            a_boot.reshape(n_groups, -1), v_boot.reshape(n_groups, -1)
        )
        gac_d_samples = group_aware_consensus(
            d_boot.reshape(n_groups, -1), v_boot.reshape(n_groups, -1)
        )
        every = np.ones_like(valid)
        gac = list(_intervals(gac_point, gac_samples.reshape(n_s, -1), every, level, (0.0, 1.0)))
        gac_d = list(
            _intervals(gac_d_point, gac_d_samples.reshape(n_s, -1), every, level, (0.0, 1.0))
        )

        def spread_of(
            a: NDArray[np.float64], v: NDArray[np.float64]
        ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
            # Over groups (axis 0) that voted; needs two such groups.
            voted = v > 0
            r = _rate(a, v)
            hi = np.where(voted, r, -np.inf).max(axis=0)
            lo = np.where(voted, r, np.inf).min(axis=0)
            ok = voted.sum(axis=0) >= 2
            return np.where(ok, hi - lo, 0.0), ok

        spread_point, spread_ok = spread_of(a_full, v_full)
        spread_samples, spread_valid = spread_of(a_boot, v_boot)
        spread_iv = _intervals(spread_point, spread_samples, spread_valid, level, (0.0, 1.0))
        spread = [iv if ok else None for iv, ok in zip(spread_iv, spread_ok, strict=True)]
        full_rates = _rate(a_full, v_full)
        group_rates = [
            tuple(float(full_rates[g, j]) if v_full[g, j] > 0 else None for g in range(n_groups))
            for j in range(n_s)
        ]

    score_iv: list[Interval | None] = [None] * n_s
    factor_iv: list[Interval | None] = [None] * n_s
    if include_bridging:
        full = bridging if bridging is not None else fit_bridging(table)
        ratings = ratings_from_votes(table)
        if ratings.rating.size:
            design = RatingDesign(ratings)
            rated = sp.csr_array(
                (np.ones(ratings.rating.size), (ratings.statement, ratings.participant)),
                shape=(n_s, n_p),
            )
            rated_valid = (rated @ weights) > 0
            scores = np.zeros((n_s, n_resamples))
            factors = np.zeros((n_s, n_resamples))
            ref = full.params.statement_factor
            for b in range(n_resamples):
                fit = refit_weighted(design, weights[:, b], full.params)
                f = fit.params.statement_factor
                sign = -1.0 if float(f @ ref) < 0 else 1.0
                scores[:, b] = fit.params.statement_intercept
                factors[:, b] = sign * f
            score_point = full.params.statement_intercept
            factor_point = full.params.statement_factor
            score_iv = list(
                _intervals(
                    score_point, scores, rated_valid, level, (score_point.min(), score_point.max())
                )
            )
            factor_iv = list(
                _intervals(
                    factor_point,
                    factors,
                    rated_valid,
                    level,
                    (factor_point.min(), factor_point.max()),
                )
            )

    statements = tuple(
        StatementUncertainty(
            statement=j,
            n_votes=int(n_votes[j]),
            agree_rate=agree_iv[j],
            disagree_rate=disagree_iv[j],
            group_consensus=gac[j],
            group_consensus_disagree=gac_d[j],
            group_agree_rates=group_rates[j],
            group_spread=spread[j],
            bridging_score=score_iv[j],
            bridging_factor=factor_iv[j],
        )
        for j in range(n_s)
    )
    return BootstrapResult(
        statements=statements, n_resamples=n_resamples, seed=seed, level=level, n_groups=n_groups
    )
