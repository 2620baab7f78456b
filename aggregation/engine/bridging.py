"""Bridging by matrix factorisation, the Community Notes way.

Model (twitter/communitynotes, scoring/src/scoring/matrix_factorization/):
rating r(u, s) ~ mu + i_u + i_s + f_u * f_s with one factor dimension, fitted
by minimising the loss exactly as the reference code computes it (means, not
sums):

    mean over ratings of (r - r_hat)^2
    + 0.03 * mean_u(f_u^2) + 0.15 * mean_u(i_u^2)
    + 0.03 * mean_s(f_s^2) + 0.15 * mean_s(i_s^2) + 0.15 * mu^2

where the means over participants and statements run over those with at least
one rating (the reference builds its embeddings from the rated ids only).
Votes become ratings agree = 1, disagree = 0; passes are not ratings.

The statement intercept i_s is the bridging score: support that the
one-dimensional divide f_u * f_s does not explain. Reference thresholds: a
statement is bridging when i_s >= 0.40 and |f_s| < 0.5, and it needs at least
5 raters to get a status at all.

Solver: the reference runs full-batch Adam in PyTorch. Here the loss is
multiplied by the number of ratings N, which turns it into a ridge problem
whose per-participant block (i_u, f_u) and per-statement block (i_s, f_s) are
independent 2x2 least-squares solves given the other side; mu is a scalar
solve. Alternating exact block solves never increase the loss, so the fit is
deterministic and stops when the relative loss change drops below `tol`.
Every sum the solves need is a sparse-matrix product over the rating matrix,
so one sweep costs a few passes over the ratings.

Factor sign: f_u * f_s is unchanged when both signs flip. As in the reference,
the sign is chosen so that at least half of the participants with a non-zero
factor have a negative factor (the larger side is negative). Bootstrap refits
instead align their sign with the full fit (see uncertainty.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from aggregation.engine.votes import AGREE, DISAGREE, EngineInputError, VoteTable

# Regularisation weights of the reference code (userFactorLambda = 0.03,
# intercept lambdas = 0.03 * 5).
USER_FACTOR_LAMBDA = 0.03
USER_INTERCEPT_LAMBDA = 0.15
STATEMENT_FACTOR_LAMBDA = 0.03
STATEMENT_INTERCEPT_LAMBDA = 0.15
GLOBAL_INTERCEPT_LAMBDA = 0.15

# Reference status thresholds (Community Notes' "helpful" rule).
BRIDGING_MIN_INTERCEPT = 0.40
BRIDGING_MAX_ABS_FACTOR = 0.5
MIN_RATERS = 5

Status = Literal["bridging", "not_bridging", "too_few_ratings"]


# Dataclasses that hold arrays set eq=False: == on arrays is element-wise.
@dataclass(frozen=True, eq=False)
class Ratings:
    """Agree/disagree votes as 0/1 ratings; passes dropped."""

    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    rating: NDArray[np.float64]
    n_participants: int
    n_statements: int


def ratings_from_votes(table: VoteTable) -> Ratings:
    keep = table.value != 0
    return Ratings(
        participant=table.participant[keep].astype(np.int64),
        statement=table.statement[keep].astype(np.int64),
        rating=(table.value[keep] == AGREE).astype(np.float64),
        n_participants=table.n_participants,
        n_statements=table.n_statements,
    )


@dataclass(frozen=True, eq=False)
class Params:
    """Fitted parameters; arrays cover every index, unrated ones are 0."""

    mu: float
    user_intercept: NDArray[np.float64]
    user_factor: NDArray[np.float64]
    statement_intercept: NDArray[np.float64]
    statement_factor: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Fit:
    params: Params
    loss: float
    iterations: int
    converged: bool


class RatingDesign:
    """Sparse rating matrices built once; bootstrap refits swap weights only.

    `a` holds the weight of each rating (1, or the participant's bootstrap
    multiplicity); `r` the same weights on the agree ratings only (a
    disagree rating is 0 and adds nothing to any product with `r`, so
    leaving it out saves about half a pass); `at`, `rt` are the transposes.
    Each is built once in CSR form from a sort of the ratings, so a
    reweighting only rewrites `.data`.
    """

    def __init__(self, ratings: Ratings) -> None:
        p, s = ratings.participant, ratings.statement
        n_p, n_s = ratings.n_participants, ratings.n_statements
        self.p, self.s, self.y = p, s, ratings.rating
        self.shape = (n_p, n_s)
        self.row_order, repeats = _sorted_order(p, s, n_p, n_s)
        if repeats:
            raise EngineInputError(
                "a participant rates a statement twice; build the table with latest_votes()"
            )
        self.col_order, _ = _sorted_order(s, p, n_s, n_p)
        self.a = _csr(p[self.row_order], s[self.row_order], n_p, n_s)
        self.at = _csr(s[self.col_order], p[self.col_order], n_s, n_p)
        # Sorted orders restricted to agree ratings stay sorted.
        self.agree_row_order = self.row_order[self.y[self.row_order] > 0]
        self.agree_col_order = self.col_order[self.y[self.col_order] > 0]
        self.r = _csr(p[self.agree_row_order], s[self.agree_row_order], n_p, n_s)
        self.rt = _csr(s[self.agree_col_order], p[self.agree_col_order], n_s, n_p)
        self.set_weights(np.ones(p.size))

    def set_weights(self, w: NDArray[np.float64]) -> None:
        """Per-rating weights in the caller's rating order."""
        self.w = w
        self.a.data = w[self.row_order]
        self.at.data = w[self.col_order]
        self.r.data = w[self.agree_row_order]
        self.rt.data = w[self.agree_col_order]


def _sorted_order(
    primary: NDArray[np.int64], secondary: NDArray[np.int64], n_primary: int, n_secondary: int
) -> tuple[NDArray[np.intp], bool]:
    """Order by (primary, secondary), and whether a (primary, secondary) repeats.

    Two stable sorts, least significant key first, on indices cast to the
    narrowest unsigned type: NumPy's stable sort is a radix sort for 16-bit
    (and smaller) integers, linear in the number of ratings. Input already
    strictly in order is detected and not sorted.
    """
    if primary.size < 2:
        return np.arange(primary.size), False
    key = primary * n_secondary + secondary
    step = key[1:] - key[:-1]
    if bool(np.all(step > 0)):
        return np.arange(primary.size), False
    order = np.argsort(secondary.astype(_narrow(n_secondary)), kind="stable")
    order = order[np.argsort(primary[order].astype(_narrow(n_primary)), kind="stable")]
    sorted_key = key[order]
    return order, bool(np.any(sorted_key[1:] == sorted_key[:-1]))


def _narrow(n: int) -> type[np.unsignedinteger]:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


def _csr(
    rows: NDArray[np.int64], cols: NDArray[np.int64], n_rows: int, n_cols: int
) -> sp.csr_array:
    """CSR with entries in the given (row-sorted) order, data set later.

    32-bit indices where they fit: the products are bound by memory traffic.
    """
    index = np.int32 if max(rows.size, n_cols) < 2**31 - 1 else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_array((np.empty(rows.size), cols.astype(index), indptr), shape=(n_rows, n_cols))


@dataclass(frozen=True, eq=False)
class _Half:
    """One half-step: exact solve of one side's blocks jointly with mu."""

    intercept: NDArray[np.float64]
    factor: NDArray[np.float64]
    mu: float
    sse: float


@dataclass(frozen=True, eq=False)
class _Side:
    """One side (participants or statements) of the rating matrix.

    `n` and `ry` are each row's weighted rating count and weighted agree
    count; they stay fixed while the parameters move, so they are computed
    once per weighting.
    """

    a: sp.csr_array
    r: sp.csr_array
    n: NDArray[np.float64]
    ry: NDArray[np.float64]


def _sides(d: RatingDesign) -> tuple[_Side, _Side]:
    def side(a: sp.csr_array, r: sp.csr_array) -> _Side:
        return _Side(a, r, np.asarray(a.sum(axis=1)).ravel(), np.asarray(r.sum(axis=1)).ravel())

    return side(d.a, d.r), side(d.at, d.rt)


@dataclass(frozen=True, eq=False)
class _Sums:
    """Each row's weighted sums over its ratings, given the other side's
    intercepts c and factors g: n = count, ry = agrees, sg = sum g,
    sgg = sum g^2, sc = sum c, scg = sum c g, ryg = sum of g over agrees.
    1-D (one fit) or 2-D (rows x resamples: every resample at once)."""

    n: NDArray[np.float64]
    ry: NDArray[np.float64]
    sg: NDArray[np.float64]
    sgg: NDArray[np.float64]
    sc: NDArray[np.float64]
    scg: NDArray[np.float64]
    ryg: NDArray[np.float64]


def _block_solve(
    t: _Sums,
    ridge_intercept: float | NDArray[np.float64],
    ridge_factor: float | NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Every row's 2x2 normal equations in closed form, element-wise.

    Returns (i0, f0, di, df): the row's (intercept, factor) is
    (i0 + mu di, f0 + mu df) for the global intercept mu.
    """
    n, sg = t.n, t.sg
    m11 = n + ridge_intercept
    m22 = t.sgg + ridge_factor
    # det > 0 whenever both ridges are positive (Cauchy-Schwarz: sg^2 <= n sgg).
    det = m11 * m22 - sg * sg
    b1, b2 = t.ry - t.sc, t.ryg - t.scg
    i0, f0 = (m22 * b1 - sg * b2) / det, (m11 * b2 - sg * b1) / det
    # d(intercept)/d(mu) and d(factor)/d(mu), from b1 -> b1 - mu n, b2 -> b2 - mu sg.
    di, df = -(m22 * n - sg * sg) / det, -(m11 * sg - sg * n) / det
    return i0, f0, di, df


def _half_step(
    rows: _Side,
    other: _Side,
    other_intercept: NDArray[np.float64],
    other_factor: NDArray[np.float64],
    ridge_intercept: float | NDArray[np.float64],
    ridge_factor: float | NDArray[np.float64],
    ridge_mu: float,
) -> _Half:
    """Minimise over every row's (intercept, factor) and mu, the other side fixed.

    Row x minimises sum_j w_xj (y_xj - mu - c_j - i_x - f_x g_j)^2
    + ridge_intercept i_x^2 + ridge_factor f_x^2 (c, g: the other side's
    intercepts and factors): 2x2 normal equations in closed form. Their
    solution is affine in mu, and by the envelope theorem the best mu solves
    sum of residuals = ridge_mu * mu, which is linear in mu: so mu is solved
    exactly together with the rows. The sum of squared residuals is expanded
    into the same sparse sums (y is 0/1, so y^2 = y), so no pass over the
    ratings is needed for it; the two terms that involve only the other side
    come from its fixed counts.
    """
    g, c = other_factor, other_intercept
    n, ry = rows.n, rows.ry
    sg, sgg, sc, scg = (rows.a @ np.column_stack([g, g * g, c, c * g])).T
    ryg = rows.r @ g
    i0, f0, di, df = _block_solve(
        _Sums(n, ry, sg, sgg, sc, scg, ryg), ridge_intercept, ridge_factor
    )
    # Residual sum T(mu) = t0 - t1 * mu after the rows have adapted to mu.
    t0 = float(ry.sum() - sc.sum() - n @ i0 - sg @ f0)
    t1 = float(n.sum() + n @ di + sg @ df)
    mu = t0 / (t1 + ridge_mu)
    i, f = i0 + mu * di, f0 + mu * df
    sum_ryc = float(other.ry @ c)
    sum_scc = float(other.n @ (c * c))
    sse = (
        float(
            np.sum(
                ry
                - 2.0 * (mu * ry + i * ry + f * ryg)
                + mu * mu * n
                + i * i * n
                + f * f * sgg
                + 2.0 * (mu * sc + mu * i * n + mu * f * sg + i * sc + f * scg + i * f * sg)
            )
        )
        - 2.0 * sum_ryc
        + sum_scc
    )
    return _Half(i, f, mu, max(sse, 0.0))


def _initial_params(d: RatingDesign, seed: int) -> Params:
    # Intercepts start at 0 and mu at the mean rating; statement factors are
    # seeded draws so the rank-one term has a direction to grow along.
    rng = np.random.default_rng(seed)
    n_p, n_s = d.shape
    return Params(
        mu=float(d.y.mean()) if d.y.size else 0.0,
        user_intercept=np.zeros(n_p),
        user_factor=np.zeros(n_p),
        statement_intercept=np.zeros(n_s),
        statement_factor=rng.normal(0.0, 1.0, n_s),
    )


def _als(
    d: RatingDesign,
    participant_weight: NDArray[np.float64],
    init: Params,
    *,
    tol: float,
    max_iter: int,
) -> Fit:
    """Alternating exact half-steps on a design with weights already set.

    A participant with weight m counts as m identical copies (bootstrap
    resampling): copies share one optimum, so their ratings and their share
    of the participant means are weighted by m.
    """
    n_w = float(d.w.sum())
    if n_w <= 0:
        # A resample that drew only participants without ratings (passes
        # only): nothing to fit. Callers mask such resamples out.
        return Fit(init, 0.0, 0, False)
    user_side, stmt_side = _sides(d)
    user_w = participant_weight * (user_side.n > 0)
    stmt_rated = stmt_side.n > 0
    u_total = float(user_w.sum())
    n_s = int(stmt_rated.sum())
    # Ridge terms of the loss multiplied by N (see the module docstring).
    ru_i = USER_INTERCEPT_LAMBDA * n_w / u_total
    ru_f = USER_FACTOR_LAMBDA * n_w / u_total
    rs_i = STATEMENT_INTERCEPT_LAMBDA * n_w / n_s
    rs_f = STATEMENT_FACTOR_LAMBDA * n_w / n_s
    r_mu = GLOBAL_INTERCEPT_LAMBDA * n_w
    # m copies of a participant share one optimum: the copies' summed
    # objective is m times one copy's, so its ridge scales with m like its
    # ratings do. (Weight-0 rows have no ratings; any positive ridge keeps
    # their solve at 0.)
    copies = np.where(participant_weight > 0, participant_weight, 1.0)

    iu, fu = init.user_intercept, init.user_factor
    is_, fs = init.statement_intercept, init.statement_factor
    mu = init.mu
    prev = np.inf
    loss = np.inf
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
        users = _half_step(user_side, stmt_side, is_, fs, ru_i * copies, ru_f * copies, r_mu)
        iu, fu = users.intercept, users.factor
        stmts = _half_step(stmt_side, user_side, iu, fu, rs_i, rs_f, r_mu)
        is_, fs, mu = stmts.intercept, stmts.factor, stmts.mu
        reg = (
            ru_f * float(user_w @ (fu * fu))
            + ru_i * float(user_w @ (iu * iu))
            + rs_f * float(fs[stmt_rated] @ fs[stmt_rated])
            + rs_i * float(is_[stmt_rated] @ is_[stmt_rated])
            + r_mu * mu * mu
        )
        loss = (stmts.sse + reg) / n_w
        if abs(prev - loss) <= tol * max(abs(loss), 1e-12):
            converged = True
            break
        prev = loss
    # Rows without ratings solve to exactly 0, as in an unrated embedding.
    return Fit(Params(float(mu), iu, fu, is_, fs), float(loss), it, converged)


def _flip_sign_for_identification(prm: Params, rated: NDArray[np.bool_]) -> Params:
    f = prm.user_factor[rated]
    nonzero = int(np.count_nonzero(f))
    if nonzero and int(np.count_nonzero(f < 0)) * 2 < nonzero:
        return Params(
            prm.mu,
            prm.user_intercept,
            -prm.user_factor,
            prm.statement_intercept,
            -prm.statement_factor,
        )
    return prm


@dataclass(frozen=True)
class StatementBridging:
    statement: int
    score: float
    factor: float
    n_raters: int
    n_agree: int
    status: Status


@dataclass(frozen=True, eq=False)
class BridgingResult:
    statements: tuple[StatementBridging, ...]
    global_intercept: float
    loss: float
    iterations: int
    converged: bool
    n_ratings: int
    note: str | None
    parameters: dict[str, float]
    params: Params

    @property
    def scores(self) -> NDArray[np.float64]:
        return np.array([s.score for s in self.statements])

    def to_dict(self) -> dict[str, Any]:
        return {
            "global_intercept": self.global_intercept,
            "loss": self.loss,
            "iterations": self.iterations,
            "converged": self.converged,
            "n_ratings": self.n_ratings,
            "note": self.note,
            "parameters": dict(self.parameters),
            "statements": [
                {
                    "statement": s.statement,
                    "score": s.score,
                    "factor": s.factor,
                    "n_raters": s.n_raters,
                    "n_agree": s.n_agree,
                    "status": s.status,
                }
                for s in self.statements
            ],
        }


def bridging_by_id(result: BridgingResult, ids: list[int] | list[str]) -> dict[str, dict[str, Any]]:
    """{statement id: {score, factor, status}} for analyze_polis's `bridging` object.

    `ids[j]` is the caller's id (e.g. the Pol.is comment id) of statement j.
    """
    if len(ids) != len(result.statements):
        raise EngineInputError("one id per statement is needed")
    return {
        str(ids[s.statement]): {"score": s.score, "factor": s.factor, "status": s.status}
        for s in result.statements
    }


def bridging_status(
    score: float,
    factor: float,
    n_raters: int,
    *,
    min_intercept: float = BRIDGING_MIN_INTERCEPT,
    max_abs_factor: float = BRIDGING_MAX_ABS_FACTOR,
    min_raters: int = MIN_RATERS,
) -> Status:
    if n_raters < min_raters:
        return "too_few_ratings"
    if score >= min_intercept and abs(factor) < max_abs_factor:
        return "bridging"
    return "not_bridging"


def fit_ratings(
    ratings: Ratings,
    *,
    seed: int = 0,
    tol: float = 1e-9,
    max_iter: int = 500,
) -> tuple[Fit, RatingDesign]:
    """Fit the model to ratings; returns the fit and the reusable design.

    Requires at least one rating (callers check).
    """
    d = RatingDesign(ratings)
    weights = np.ones(ratings.n_participants)
    fit = _als(d, weights, _initial_params(d, seed), tol=tol, max_iter=max_iter)
    rated = (d.a @ np.ones(d.shape[1])) > 0
    return Fit(
        _flip_sign_for_identification(fit.params, rated), fit.loss, fit.iterations, fit.converged
    ), d


def refit_weighted(
    d: RatingDesign,
    participant_weight: NDArray[np.float64],
    init: Params,
    *,
    tol: float = 1e-6,
    max_iter: int = 200,
) -> Fit:
    """Refit with participant multiplicities (bootstrap), warm-started."""
    d.set_weights(participant_weight[d.p].astype(np.float64))
    return _als(d, participant_weight, init, tol=tol, max_iter=max_iter)


def refit_resamples(
    d: RatingDesign,
    participant_weights: NDArray[np.float64],
    init: Params,
    *,
    sweeps: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Every resample's refit at once: `sweeps` alternating sweeps from `init`.

    `participant_weights` is (participants x resamples), the multiplicities
    of refit_weighted. Returns the statement intercepts and factors
    (statements x resamples). One sweep is the same pair of exact half-steps
    as _als (participants, then statements, mu jointly with each), for all
    resamples together: every sum is one sparse matrix product with a dense
    (rows x resamples) block, which costs about what one resample's product
    costs per column but passes over the ratings once. With enough sweeps
    it reaches refit_weighted's fixed point; the bootstrap stops after a few
    (see uncertainty.py for how close that is).

    A participant's m copies share one optimum, so the participant side
    needs no weights except in mu's sums; the statement side's sums are
    weighted. A resample without ratings gives zeros (callers mask it out).
    """
    if sweeps < 1:
        raise EngineInputError("sweeps must be at least 1")
    n_s = d.shape[1]
    w = np.asarray(participant_weights, dtype=np.float64)
    d.set_weights(np.ones(d.p.size))
    users, stmts = _sides(d)
    # The products run in float32 (half the memory traffic, about twice as
    # fast); everything else stays float64. Sums over a row's ratings then
    # carry relative errors near 1e-6, far below the resampling noise.
    ua, ur, sa, sr = (_float32(m) for m in (users.a, users.r, stmts.a, stmts.r))
    n_w = users.n @ w
    u_total = (users.n > 0).astype(np.float64) @ w
    n_st = _product(sa, [w])  # counts: exact in float32 below 2**24
    s_rated = np.count_nonzero(n_st, axis=0)
    # Scales as in _als; a resample without ratings gets harmless stand-ins.
    empty = n_w <= 0
    n_w = np.where(empty, 1.0, n_w)
    u_total = np.where(empty, 1.0, u_total)
    s_rated = np.where(empty, 1, s_rated)
    ru_i, ru_f = USER_INTERCEPT_LAMBDA * n_w / u_total, USER_FACTOR_LAMBDA * n_w / u_total
    rs_i, rs_f = STATEMENT_INTERCEPT_LAMBDA * n_w / s_rated, STATEMENT_FACTOR_LAMBDA * n_w / s_rated
    r_mu = GLOBAL_INTERCEPT_LAMBDA * n_w
    user_fixed = (users.n[:, None], users.ry[:, None])
    stmt_fixed = (n_st, _product(sr, [w]))
    # The first sweep's participant step sees one set of statement parameters.
    c = init.statement_intercept.reshape(n_s, 1)
    g = init.statement_factor.reshape(n_s, 1)
    for _ in range(sweeps):
        sg, sgg, sc, scg = np.split(_product(ua, [g, g * g, c, c * g]), 4, axis=1)
        u_sums = _Sums(*user_fixed, sg, sgg, sc, scg, _product(ur, [g]))
        iu, fu = _rows_and_mu(u_sums, ru_i, ru_f, r_mu, w)
        wf, wi = w * fu, w * iu
        sg, sgg, sc, scg = np.split(_product(sa, [wf, wf * fu, wi, wi * fu]), 4, axis=1)
        s_sums = _Sums(*stmt_fixed, sg, sgg, sc, scg, _product(sr, [wf]))
        del u_sums, wf, wi
        c, g = _rows_and_mu(s_sums, rs_i, rs_f, r_mu, None)
    empty_cols = np.broadcast_to(empty, c.shape)
    return np.where(empty_cols, 0.0, c), np.where(empty_cols, 0.0, g)


def _float32(m: sp.csr_array) -> sp.csr_array:
    return sp.csr_array((m.data.astype(np.float32), m.indices, m.indptr), shape=m.shape)


def _product(m: sp.csr_array, blocks: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """m @ [blocks side by side], computed in float32, returned as float64."""
    return np.asarray(m @ np.hstack(blocks, dtype=np.float32), dtype=np.float64)


def _rows_and_mu(
    t: _Sums,
    ridge_intercept: NDArray[np.float64],
    ridge_factor: NDArray[np.float64],
    ridge_mu: NDArray[np.float64],
    row_weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A batched half-step: rows' (intercept, factor) per resample, mu solved
    jointly per resample as in _half_step (there as a scalar). `row_weights`
    scales each row's share of mu's residual sums (the participant side,
    whose sums are unweighted)."""
    i0, f0, di, df = _block_solve(t, ridge_intercept, ridge_factor)
    residual = t.ry - t.sc - t.n * i0 - t.sg * f0
    slope = t.n + t.n * di + t.sg * df
    if row_weights is not None:
        residual, slope = residual * row_weights, slope * row_weights
    mu = residual.sum(axis=0) / (slope.sum(axis=0) + ridge_mu)
    return i0 + mu * di, f0 + mu * df


def fit_bridging(
    table: VoteTable,
    *,
    min_intercept: float = BRIDGING_MIN_INTERCEPT,
    max_abs_factor: float = BRIDGING_MAX_ABS_FACTOR,
    min_raters: int = MIN_RATERS,
    seed: int = 0,
    tol: float = 1e-9,
    max_iter: int = 500,
) -> BridgingResult:
    """Community Notes bridging scores for every statement of `table`.

    Statements with fewer than `min_raters` agree/disagree votes get status
    too_few_ratings (their score and factor are still reported). With no
    ratings at all, every score and factor is 0 and `note` says why.
    """
    if min_raters < 0 or max_abs_factor <= 0:
        raise EngineInputError("min_raters must be >= 0 and max_abs_factor > 0")
    ratings = ratings_from_votes(table)
    parameters = {
        "min_intercept": float(min_intercept),
        "max_abs_factor": float(max_abs_factor),
        "min_raters": float(min_raters),
        "user_factor_lambda": USER_FACTOR_LAMBDA,
        "user_intercept_lambda": USER_INTERCEPT_LAMBDA,
        "statement_factor_lambda": STATEMENT_FACTOR_LAMBDA,
        "statement_intercept_lambda": STATEMENT_INTERCEPT_LAMBDA,
        "global_intercept_lambda": GLOBAL_INTERCEPT_LAMBDA,
        "seed": float(seed),
        "tol": float(tol),
    }
    n_raters = np.bincount(ratings.statement, minlength=table.n_statements)
    n_agree = np.bincount(ratings.statement, weights=ratings.rating, minlength=table.n_statements)
    note: str | None = None
    if ratings.rating.size == 0:
        zeros_p, zeros_s = np.zeros(table.n_participants), np.zeros(table.n_statements)
        prm = Params(0.0, zeros_p, zeros_p, zeros_s, zeros_s)
        fit = Fit(prm, 0.0, 0, True)
        note = "no agree/disagree votes: nothing to fit"
    else:
        fit, _ = fit_ratings(ratings, seed=seed, tol=tol, max_iter=max_iter)
        if np.all(ratings.rating == ratings.rating[0]):
            side = "agree" if ratings.rating[0] == 1 else "disagree"
            note = (
                f"every rating is {side}: there is no divide to find; the factor term "
                "absorbs part of the common rating (its regulariser is weaker than the "
                "intercepts'), so scores and statuses say nothing about bridging here"
            )
    prm = fit.params
    statements = tuple(
        StatementBridging(
            statement=j,
            score=float(prm.statement_intercept[j]),
            factor=float(prm.statement_factor[j]),
            n_raters=int(n_raters[j]),
            n_agree=int(n_agree[j]),
            status=bridging_status(
                float(prm.statement_intercept[j]),
                float(prm.statement_factor[j]),
                int(n_raters[j]),
                min_intercept=min_intercept,
                max_abs_factor=max_abs_factor,
                min_raters=min_raters,
            ),
        )
        for j in range(table.n_statements)
    )
    return BridgingResult(
        statements=statements,
        global_intercept=float(prm.mu),
        loss=float(fit.loss),
        iterations=fit.iterations,
        converged=fit.converged,
        n_ratings=int(ratings.rating.size),
        note=note,
        parameters=parameters,
        params=prm,
    )


__all__ = [
    "AGREE",
    "BRIDGING_MAX_ABS_FACTOR",
    "BRIDGING_MIN_INTERCEPT",
    "DISAGREE",
    "MIN_RATERS",
    "BridgingResult",
    "StatementBridging",
    "bridging_by_id",
    "bridging_status",
    "fit_bridging",
    "ratings_from_votes",
]
