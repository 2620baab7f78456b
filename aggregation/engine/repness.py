"""Pol.is's representative comments per group and consensus comments.

Follows polismath.math.repness and polismath.math.stats. Counts are over the
latest votes; passes count in `ns` (votes seen). The z threshold 1.2816 is a
one-sided 90% test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .rating import RatingMatrix

Z_90 = 1.2816
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 5


@dataclass(frozen=True)
class VoteCounts:
    """Agrees, disagrees and all votes (passes included), shape (n_groups, n_cols)."""

    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    seen: NDArray[np.int64]


def count_votes(rm: RatingMatrix, row_group: NDArray[np.int64], n_groups: int) -> VoteCounts:
    """Per-group vote counts from the raw matrix; rows with group -1 are left out.

    In Pol.is's sign an agree is -1 and a disagree +1.
    """
    g = row_group[rm.row]
    keep = g >= 0
    key = g[keep] * rm.n_cols + rm.col[keep]
    v = rm.value[keep]
    size = n_groups * rm.n_cols

    def tally(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(key[mask], minlength=size).reshape(n_groups, rm.n_cols).astype(np.int64)

    return VoteCounts(tally(v < 0), tally(v > 0), tally(np.ones_like(v, dtype=bool)))


def prop_test(succ: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pol.is's `prop-test`: 2 sqrt(n+1) ((succ+1)/(n+1) - 1/2)."""
    return np.asarray(2.0 * np.sqrt(n + 1.0) * ((succ + 1.0) / (n + 1.0) - 0.5))


def two_prop_test(
    succ_in: NDArray[np.float64],
    succ_out: NDArray[np.float64],
    pop_in: NDArray[np.float64],
    pop_out: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Pol.is's `two-prop-test` with +1 on every count; 0 when the pooled proportion is 1."""
    s1, s2, n1, n2 = succ_in + 1.0, succ_out + 1.0, pop_in + 1.0, pop_out + 1.0
    pi1, pi2 = s1 / n1, s2 / n2
    pi_hat = (s1 + s2) / (n1 + n2)
    var = pi_hat * (1.0 - pi_hat) * (1.0 / n1 + 1.0 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (pi1 - pi2) / np.sqrt(var)
    return np.asarray(np.where(pi_hat == 1.0, 0.0, z))


@dataclass(frozen=True)
class CommentStats:
    """Pol.is's comment stats for one group against the rest, arrays over columns."""

    na: NDArray[np.float64]
    nd: NDArray[np.float64]
    ns: NDArray[np.float64]
    pa: NDArray[np.float64]
    pd: NDArray[np.float64]
    pat: NDArray[np.float64]
    pdt: NDArray[np.float64]
    ra: NDArray[np.float64]
    rd: NDArray[np.float64]
    rat: NDArray[np.float64]
    rdt: NDArray[np.float64]


def group_stats(counts: VoteCounts, g: int) -> CommentStats:
    """Pol.is's `comment-stats` plus `add-comparitive-stats` for group g vs all other groups."""
    na = counts.agree[g].astype(np.float64)
    nd = counts.disagree[g].astype(np.float64)
    ns = counts.seen[g].astype(np.float64)
    na_rest = counts.agree.sum(axis=0) - na
    nd_rest = counts.disagree.sum(axis=0) - nd
    ns_rest = counts.seen.sum(axis=0) - ns
    pa = (na + 1.0) / (ns + 2.0)
    pd = (nd + 1.0) / (ns + 2.0)
    return CommentStats(
        na=na,
        nd=nd,
        ns=ns,
        pa=pa,
        pd=pd,
        pat=prop_test(na, ns),
        pdt=prop_test(nd, ns),
        ra=pa / ((na_rest + 1.0) / (ns_rest + 2.0)),
        rd=pd / ((nd_rest + 1.0) / (ns_rest + 2.0)),
        rat=two_prop_test(na, na_rest, ns, ns_rest),
        rdt=two_prop_test(nd, nd_rest, ns, ns_rest),
    )


@dataclass(frozen=True)
class RepComment:
    """One representative comment of a group, as Pol.is's `finalize-cmt-stats` reports it."""

    col: int
    direction: str
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool = False

    @property
    def metric(self) -> float:
        """Pol.is's `repness-metric`: repness * repness-test * p-success * p-test."""
        return self.repness * self.repness_test * self.p_success * self.p_test


def _finalize(st: CommentStats, j: int, *, best_agree: bool = False) -> RepComment:
    agree = bool(st.rat[j] > st.rdt[j])
    n_success = st.na[j] if agree else st.nd[j]
    return RepComment(
        col=j,
        direction="agree" if agree else "disagree",
        n_success=int(n_success),
        n_trials=int(st.ns[j]),
        p_success=float(st.pa[j] if agree else st.pd[j]),
        p_test=float(st.pat[j] if agree else st.pdt[j]),
        repness=float(st.ra[j] if agree else st.rd[j]),
        # Pol.is stores the test as a 32-bit float, and sorts with that value.
        repness_test=float(np.float32(st.rat[j] if agree else st.rdt[j])),
        best_agree=best_agree,
    )


def _best_agree(st: CommentStats, candidates: NDArray[np.int64]) -> int | None:
    """Pol.is's `beats-best-agr?` folded over the columns in order."""
    # Plain Python floats: this fold is sequential, and list access is ~10x
    # faster than indexing numpy scalars.
    na, nd = st.na.tolist(), st.nd.tolist()
    ra, rat, pa, pat = st.ra.tolist(), st.rat.tolist(), st.pa.tolist(), st.pat.tolist()
    best: int | None = None
    for j in candidates.tolist():
        if na[j] == 0 and nd[j] == 0:
            continue
        if best is not None and ra[best] > 1.0:
            ok = ra[j] * rat[j] * pa[j] * pat[j] > ra[best] * rat[best] * pa[best] * pat[best]
        elif best is not None:
            ok = pa[j] * pat[j] > pa[best] * pat[best]
        else:
            ok = pat[j] > Z_90 or (ra[j] > 1.0 and pa[j] > 0.5)
        if ok:
            best = j
    return best


def _best_by_test(st: CommentStats, candidates: NDArray[np.int64]) -> int | None:
    """Pol.is's `beats-best-by-test?` folded over the columns (compared at float32)."""
    best: int | None = None
    best_z = 0.0
    for j in candidates:
        z = max(st.rat[j], st.rdt[j])
        if best is None or z > best_z:
            best = int(j)
            best_z = float(np.float32(st.rat[j] if st.rat[j] > st.rdt[j] else st.rdt[j]))
    return best


def select_representative(st: CommentStats, allowed: NDArray[np.bool_]) -> list[RepComment]:
    """Pol.is's `select-rep-comments` for one group.

    A comment qualifies when (rat > z90 and pat > z90) or (rdt > z90 and pdt > z90).
    Qualifiers are sorted by the repness metric, the group's best agree comment
    goes first, 5 are kept, agrees before disagrees. With no qualifier the best
    agree comment (or else the best by test) stands alone.
    """
    candidates = np.flatnonzero(allowed)
    passes = ((st.rat > Z_90) & (st.pat > Z_90)) | ((st.rdt > Z_90) & (st.pdt > Z_90))
    sufficient = candidates[passes[candidates]]
    agree_best = _best_agree(st, candidates)
    head = [_finalize(st, agree_best, best_agree=True)] if agree_best is not None else []
    if sufficient.size == 0:
        if head:
            return head
        best = _best_by_test(st, candidates)
        return [_finalize(st, best)] if best is not None else []
    rest = sufficient[sufficient != agree_best] if agree_best is not None else sufficient
    # Only the top few can be kept, so rank on arrays and finalize those alone;
    # the stable sort keeps column order among equal metrics, as Pol.is's sort-by.
    ranked = rest[np.argsort(-_metric(st)[rest], kind="stable")][:MAX_REPRESENTATIVE]
    chosen = (head + [_finalize(st, int(j)) for j in ranked])[:MAX_REPRESENTATIVE]
    return [r for r in chosen if r.direction == "agree"] + [
        r for r in chosen if r.direction == "disagree"
    ]


def _metric(st: CommentStats) -> NDArray[np.float64]:
    """`RepComment.metric` for every column at once (same float32 rounding of the test)."""
    agree = st.rat > st.rdt
    test = np.where(agree, st.rat, st.rdt).astype(np.float32).astype(np.float64)
    return np.asarray(
        np.where(agree, st.ra, st.rd)
        * test
        * np.where(agree, st.pa, st.pd)
        * np.where(agree, st.pat, st.pdt)
    )


@dataclass(frozen=True)
class ConsensusComment:
    """One consensus comment as Pol.is reports it (`n-success`, `n-trials`, ...)."""

    col: int
    n_success: int
    n_trials: int
    p_success: float
    p_test: float


def select_consensus(
    counts: VoteCounts, allowed: NDArray[np.bool_]
) -> tuple[list[ConsensusComment], list[ConsensusComment]]:
    """Pol.is's `select-consensus-comments` over all voters (counts with one group).

    Agree side: comments with pa > 0.5 and pat > z90, by pa * pat, top 5;
    disagree side likewise with pd, pdt.
    """
    na = counts.agree[0].astype(np.float64)
    nd = counts.disagree[0].astype(np.float64)
    ns = counts.seen[0].astype(np.float64)

    def side(n: NDArray[np.float64]) -> list[ConsensusComment]:
        p = (n + 1.0) / (ns + 2.0)
        pt = prop_test(n, ns)
        ok = np.flatnonzero(allowed & (p > 0.5) & (pt > Z_90))
        ranked = ok[np.argsort(-(p[ok] * pt[ok]), kind="stable")][:MAX_CONSENSUS]
        return [
            ConsensusComment(int(j), int(n[j]), int(ns[j]), float(p[j]), float(pt[j]))
            for j in ranked
        ]

    return side(na), side(nd)
