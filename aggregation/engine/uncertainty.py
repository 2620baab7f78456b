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
  each resample from the full fit. A resampled factor's sign is aligned
  with the full fit's (the sign is arbitrary; see bridging.py).

Counting is vectorised: the resample multiplicities form a (participants x
resamples) matrix, and every count is one sparse matrix product.

Bridging refits (method "participant-percentile/2"). Every resample's
refit runs at once (bridging.refit_resamples): the same alternating exact
half-steps as the full fit, started from it, for a fixed number of sweeps
that depends only on the number of ratings: as many as SWEEP_BUDGET
rating-sweeps allow, at least MIN_SWEEPS and at most MAX_SWEEPS (40 sweeps
up to 10k ratings, 10 at 40k, 3 from 134k on). Method "/1" refitted each
resample alone until the loss settled (tolerance 1e-6, about 40 sweeps);
on 1M votes that took minutes. Measured against those refits with the same
resamples (interval ends of statements with 5+ raters; the Monte Carlo
noise of the percentile ends, the same refits with another seed, in
brackets): on the five Pol.is conversations in ../shared (9 to 40 sweeps), score ends move
by at most 0.043 (0.025-0.068), mean 0.0003-0.0034 (0.004-0.013), factor
ends by at most 0.15 (0.06-0.25); on the sparse synthetic 100k votes
(4 sweeps) score ends by at most 0.11 (0.07), mean 0.008 (0.013), and
factor ends by at most 0.97 (0.48), mean 0.12 (0.045): there the factor
intervals are narrower than the converged refits' (median width ratio
0.76), the score intervals are not (0.99). Classification labels changed
for at most 0.2% of statements (another seed changes 0.5-6%). The score
intervals' coverage of planted values is tested with the fewest sweeps
(tests/engine2/test_uncertainty.py).

A statement that gets no votes in some resamples takes its interval from the
resamples where it has votes; with no votes at all its interval is the whole
range the measure can take, and its count is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    refit_resamples,
)
from aggregation.engine.consensus import group_aware_consensus
from aggregation.engine.votes import AGREE, DISAGREE, EngineInputError, VoteTable

N_RESAMPLES = 200
LEVEL = 0.95
# Bridging refits: alternating sweeps from the full fit, as many as
# SWEEP_BUDGET rating-sweeps allow, within [MIN_SWEEPS, MAX_SWEEPS] (see
# the module docstring).
MIN_SWEEPS = 3
MAX_SWEEPS = 40
SWEEP_BUDGET = 400_000
# Recorded with every result; "/1" refitted each resample to convergence.
METHOD = "participant-percentile/2"


def refit_sweeps(n_ratings: int) -> int:
    """Sweeps per bridging refit for a space with this many ratings."""
    return max(MIN_SWEEPS, min(MAX_SWEEPS, SWEEP_BUDGET // max(n_ratings, 1)))


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
    # Alternating sweeps of each bridging refit; None: bridging not resampled.
    bridging_sweeps: int | None = None

    @property
    def method(self) -> str:
        """What a stored result records about how its intervals were made."""
        return METHOD

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "bridging_sweeps": self.bridging_sweeps,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "level": self.level,
            "n_groups": self.n_groups,
            "statements": [s.to_dict() for s in self.statements],
        }


def _counts(
    table: VoteTable, bucket: NDArray[np.int64], n_buckets: int, weights: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Votes of each kind (agree, disagree, pass) per bucket of participants
    and statement: (kinds, buckets, statements) on the full data and
    (kinds, buckets, statements, resamples) weighted by every resample.

    One sparse matrix whose rows are (kind, bucket, statement) and one product
    with the multiplicities: a single pass over the votes whatever the number
    of groups. The products run in float32, which is exact here: every count
    is an integer below 2**24 (callers check), so the float64 counts are
    those of a float64 product bit for bit, at half the memory traffic.
    """
    n_s = table.n_statements
    kind = np.where(table.value == AGREE, 0, np.where(table.value == DISAGREE, 1, 2))
    row = (kind * n_buckets + bucket[table.participant]) * n_s + table.statement
    shape = (3 * n_buckets * n_s, table.n_participants)
    matrix = sp.csr_array(
        (np.ones(table.n_votes, dtype=np.float32), (row, table.participant)), shape=shape
    )
    full = np.bincount(row, minlength=shape[0]).astype(np.float64)
    boot = (matrix @ weights.astype(np.float32)).astype(np.float64)
    return full.reshape(3, n_buckets, n_s), boot.reshape(3, n_buckets, n_s, weights.shape[1])


def _intervals(
    point: NDArray[np.float64],
    samples: NDArray[np.float64],
    valid: NDArray[np.bool_],
    level: float,
    full_range: tuple[float, float],
) -> list[Interval]:
    """Percentile intervals per row of samples, over the valid columns only.

    Rows valid in every resample (nearly all) take one vectorised percentile;
    np.nanpercentile, which loops over rows in Python, only gets the rest.
    """
    tail = 100 * (1 - level) / 2
    low = np.full(point.size, full_range[0])
    high = np.full(point.size, full_range[1])
    complete = valid.all(axis=1)
    partial = valid.any(axis=1) & ~complete
    if complete.any():
        q = np.percentile(samples[complete], [tail, 100 - tail], axis=1)
        low[complete], high[complete] = q[0], q[1]
    if partial.any():
        masked = np.where(valid[partial], samples[partial], np.nan)
        q = np.nanpercentile(masked, [tail, 100 - tail], axis=1)
        low[partial], high[partial] = q[0], q[1]
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
    bridging_sweeps: int | None = None,
) -> BootstrapResult:
    """Percentile-bootstrap intervals for every statement of `table`.

    `groups` gives each participant's group (-1: none); without it the group
    measures are None. `bridging` is the full fit if the caller has it
    (otherwise it is fitted here); `include_bridging=False` skips the refits.
    `bridging_sweeps` is how many alternating sweeps each refit runs from
    the full fit; by default refit_sweeps(number of ratings).
    """
    if n_resamples < 1 or not 0 < level < 1 or (bridging_sweeps or 1) < 1:
        raise EngineInputError(
            "n_resamples and bridging_sweeps must be >= 1 and level between 0 and 1"
        )
    n_p, n_s = table.n_participants, table.n_statements
    labels = None
    if groups is not None:
        labels = np.asarray(groups, dtype=np.int64)
        if labels.shape != (n_p,):
            raise EngineInputError("groups must give one label per participant")
    rng = np.random.default_rng(seed)
    voters = np.flatnonzero(np.bincount(table.participant, minlength=n_p) > 0)
    if voters.size >= 2**24:
        raise EngineInputError("more than 2**24 voters: counts would not be exact in float32")
    # Multiplicity of every participant in every resample: (participants, B).
    weights = np.zeros((n_p, n_resamples))
    if voters.size:
        counts = rng.multinomial(
            voters.size, np.full(voters.size, 1.0 / voters.size), size=n_resamples
        )
        weights[voters] = counts.T

    n_groups = 0
    if labels is not None:
        n_groups = int(labels.max(initial=-1)) + 1
    # Bucket g < n_groups: group g; the last bucket: in no group.
    bucket = np.where(labels >= 0, labels, n_groups) if labels is not None else np.zeros(n_p)
    full, boot = _counts(table, bucket.astype(np.int64), n_groups + 1, weights)
    a_full, d_full, v_full = full[0], full[1], full.sum(axis=0)
    a_boot, d_boot, v_boot = boot[0], boot[1], boot.sum(axis=0)
    del boot
    n_votes = v_full.sum(axis=0)
    votes_boot = v_boot.sum(axis=0)
    valid = votes_boot > 0
    agree_iv, disagree_iv = (
        _intervals(
            _rate(full_count.sum(axis=0), n_votes),
            _rate(boot_count.sum(axis=0), votes_boot),
            valid,
            level,
            (0.0, 1.0),
        )
        for full_count, boot_count in ((a_full, a_boot), (d_full, d_boot))
    )
    rated_valid = (a_boot.sum(axis=0) + d_boot.sum(axis=0)) > 0

    gac: list[Interval | None] = [None] * n_s
    gac_d: list[Interval | None] = [None] * n_s
    spread: list[Interval | None] = [None] * n_s
    group_rates: list[tuple[float | None, ...]] = [()] * n_s
    if n_groups > 0:
        # Full-data counts: (G, S); resampled: (G, S, B).
        a_full, d_full, v_full = a_full[:n_groups], d_full[:n_groups], v_full[:n_groups]
        a_boot, d_boot, v_boot = a_boot[:n_groups], d_boot[:n_groups], v_boot[:n_groups]
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
    del a_boot, d_boot, v_boot

    score_iv: Sequence[Interval | None] = [None] * n_s
    factor_iv: Sequence[Interval | None] = [None] * n_s
    sweeps = None
    if include_bridging:
        full_fit = bridging if bridging is not None else fit_bridging(table)
        ratings = ratings_from_votes(table)
        sweeps = bridging_sweeps or refit_sweeps(ratings.rating.size)
        if ratings.rating.size:
            scores, factors = refit_resamples(
                RatingDesign(ratings), weights, full_fit.params, sweeps=sweeps
            )
            # Align each resample's factor sign with the full fit's.
            ref = full_fit.params.statement_factor
            factors *= np.where(factors.T @ ref < 0, -1.0, 1.0)
            score_iv, factor_iv = (
                _intervals(point, samples, rated_valid, level, (point.min(), point.max()))
                for point, samples in (
                    (full_fit.params.statement_intercept, scores),
                    (full_fit.params.statement_factor, factors),
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
        statements=statements,
        n_resamples=n_resamples,
        seed=seed,
        level=level,
        n_groups=n_groups,
        bridging_sweeps=sweeps,
    )
