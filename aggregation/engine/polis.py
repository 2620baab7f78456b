"""Opinion groups the Pol.is way: the pipeline entry point.

`analyze_votes` takes vote records (export sign: agree = +1, disagree = -1,
pass = 0) and reproduces Pol.is's math (compdemocracy/polis,
math/src/polismath/math/): rating matrix, PCA and projections, in-conv
participants, base clusters (k = 100), group clusters (k by silhouette),
representative and consensus comments, group-aware consensus and comment
priorities. `result_to_dict` turns the result into JSON-ready data.

Everything except `timings_s` is a pure function of the input: the same input
gives bit-identical output.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import ENGINE_VERSION
from .clusters import Clustering, GroupStep, KSmoother, group_clusterings, kmeans
from .consensus import group_aware_consensus
from .group_count import admission_times, established_k, smoothed_choice
from .history import InConvRule, in_conv_replayed, in_conv_snapshot
from .pca import Pca, polis_pca
from .polis_eras import CURRENT, PolisRules, group_k_candidates
from .rating import RatingMatrix, build_rating_matrix, participant_order
from .replay import BaseReplay, replay_base_clusters
from .repness import (
    ConsensusComment,
    RepComment,
    VoteCounts,
    count_votes,
    group_stats,
    select_consensus,
    select_representative,
)
from .routing import comment_priorities
from .votes import EngineInputError, VoteTable, latest_votes


@dataclass(frozen=True)
class PolisParams:
    """How to run Pol.is's math: which era's rules (polis_eras.py; today's by
    default) and whether to replay history where the result depends on it."""

    rules: PolisRules = CURRENT
    replay_in_conv: bool = True
    # Replay Pol.is's warm-started base k-means over the vote history (needs
    # `time`; see replay.py). On the biodiversity conversation it brings back 77
    # of Pol.is's 100 base clusters with estimated moderation times (62 with
    # everything moderated out from the start; a cold run: 8), and groups of
    # 67/376 against Pol.is's 72/371 (a cold run: 68/375). Agreement with
    # Pol.is's group-id, replay (estimated moderation times) against cold run:
    # biodiversity 98.87% / 98.65%, brexit 94.92% / 77.16%, bg2050 100% / 100%,
    # 15-per-hour 92.03% / 93.48%, vtaiwan 80.31% / 97.29%. Off by default: it
    # costs one PCA and one k-means per update (a minute or more per 30,000
    # votes) and makes vtaiwan much worse.
    replay_base_clusters: bool = False
    replay_gap_ms: float = 0.0
    # Leave out a group count that became possible too late for Pol.is's k
    # smoother to have switched to it (group_count.py; needs `time`). Part of
    # the Pol.is fidelity mode (analyze_polis --polis-rules auto), not of
    # Polyphony's own analysis, whose result should not hinge on the timing of
    # the last few votes.
    k_from_history: bool = False
    # Pol.is's customs (the era's max_cmts / max_ptpts): in the fidelity mode
    # only; Polyphony never drops a space's statements or participants.
    size_limits: bool = False

    @property
    def base_k(self) -> int:
        return self.rules.base_k

    @property
    def base_iters(self) -> int:
        return self.rules.base_iters


@dataclass(frozen=True)
class RepresentativeStatement:
    statement: int
    direction: str
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool


@dataclass(frozen=True)
class ConsensusStatement:
    statement: int
    n_success: int
    n_trials: int
    p_success: float
    p_test: float


@dataclass(frozen=True)
class BaseCluster:
    id: int
    center: tuple[float, float]
    members: NDArray[np.int64]


@dataclass(frozen=True)
class OpinionGroup:
    id: int
    center: tuple[float, float]
    base_clusters: list[int]
    members: NDArray[np.int64]
    representative: list[RepresentativeStatement]

    @property
    def size(self) -> int:
        return int(self.members.shape[0])


@dataclass(frozen=True)
class PolisResult:
    """Pol.is's conversation math for one snapshot.

    Arrays over statements have length `n_statements` (statement index order);
    statements nobody voted on are not part of Pol.is's matrix and get zeros for
    the PCA quantities. Arrays over participants have length `n_participants`;
    `participant_group` is the position in `groups`, -1 when not grouped.
    `pca_center`, `pca_components` and `statement_projection` are in Pol.is's
    sign (agree = -1), as Pol.is reports them.
    """

    n_participants: int
    n_statements: int
    n_votes: int
    voted_statements: NDArray[np.int64]
    in_conv: NDArray[np.bool_]
    participant_position: NDArray[np.float64]
    participant_group: NDArray[np.int64]
    pca_center: NDArray[np.float64]
    pca_components: NDArray[np.float64]
    statement_projection: NDArray[np.float64]
    statement_extremity: NDArray[np.float64]
    base_clusters: list[BaseCluster]
    groups: list[OpinionGroup]
    group_silhouettes: dict[int, float]
    group_agree: NDArray[np.int64]
    group_disagree: NDArray[np.int64]
    group_seen: NDArray[np.int64]
    consensus_agree: list[ConsensusStatement]
    consensus_disagree: list[ConsensusStatement]
    group_aware_consensus: NDArray[np.float64]
    priorities: NDArray[np.float64]
    moderated_out: NDArray[np.bool_]
    meta: NDArray[np.bool_]
    reason: str | None = None
    rules: str = CURRENT.name
    timings_s: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = _time.perf_counter()

    def lap(self, stage: str) -> None:
        now = _time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self._last)
        self._last = now


def _mask(x: ArrayLike | None, n: int, name: str) -> NDArray[np.bool_]:
    if x is None:
        return np.zeros(n, dtype=bool)
    m = np.asarray(x, dtype=bool)
    if m.shape != (n,):
        raise EngineInputError(
            f"{name} must have one entry per statement ({n}), got shape {m.shape}"
        )
    return m


def _size(given: int | None, idx: NDArray[np.int64], name: str) -> int:
    inferred = int(idx.max()) + 1 if idx.size else 0
    if given is None:
        return inferred
    if given < inferred:
        raise EngineInputError(f"{name}={given} but an index {inferred - 1} occurs in the votes")
    return int(given)


def _as_int_array(x: ArrayLike, name: str) -> NDArray[np.int64]:
    a = np.asarray(x)
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    if a.ndim != 1:
        raise EngineInputError(f"{name} must be a 1-D array")
    if not np.issubdtype(a.dtype, np.integer):
        as_float = a.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
            raise EngineInputError(f"{name} must hold whole numbers")
        return as_float.astype(np.int64)
    return a.astype(np.int64)


def _recentred(
    replayed: Clustering, positions: NDArray[np.float64], row_of: NDArray[np.int64]
) -> Clustering:
    """The replay's clusters with centres recomputed on this run's positions
    (the replay's PCA frame may differ from ours by sign)."""
    points = positions[row_of[replayed.names]]
    m = replayed.ids.shape[0]
    size = np.bincount(replayed.labels, minlength=m)
    centers = np.stack(
        [np.bincount(replayed.labels, weights=points[:, d], minlength=m) / size for d in (0, 1)],
        axis=1,
    )
    return Clustering(replayed.ids, centers, replayed.names, replayed.labels)


def _rep(rm: RatingMatrix, r: RepComment) -> RepresentativeStatement:
    return RepresentativeStatement(
        statement=int(rm.cols[r.col]),
        direction=r.direction,
        n_success=r.n_success,
        n_trials=r.n_trials,
        p_success=r.p_success,
        p_test=r.p_test,
        repness=r.repness,
        repness_test=r.repness_test,
        best_agree=r.best_agree,
    )


def _cons(rm: RatingMatrix, c: ConsensusComment) -> ConsensusStatement:
    return ConsensusStatement(int(rm.cols[c.col]), c.n_success, c.n_trials, c.p_success, c.p_test)


def _spread(
    rm: RatingMatrix, per_col: NDArray[Any], n_statements: int, fill: float = 0.0
) -> NDArray[Any]:
    """Place per-column values at their statement index; unvoted statements get `fill`."""
    shape = (*per_col.shape[:-1], n_statements)
    out = np.full(shape, fill, dtype=per_col.dtype)
    out[..., rm.cols] = per_col
    return out


@dataclass(frozen=True)
class _Votes:
    """Checked input: vote events, their latest-vote table and the statement masks."""

    p: NDArray[np.int64]
    s: NDArray[np.int64]
    v: NDArray[np.int64]
    t: NDArray[np.float64] | None
    n_p: int
    n_s: int
    table: VoteTable
    rejected: NDArray[np.bool_]
    is_meta: NDArray[np.bool_]


def _checked_votes(
    participant: ArrayLike,
    statement: ArrayLike,
    value: ArrayLike,
    n_participants: int | None,
    n_statements: int | None,
    time: ArrayLike | None,
    moderated_out: ArrayLike | None,
    meta: ArrayLike | None,
) -> _Votes:
    p = _as_int_array(participant, "participant")
    s = _as_int_array(statement, "statement")
    v = _as_int_array(value, "value")
    n_p = _size(n_participants, p, "n_participants")
    n_s = _size(n_statements, s, "n_statements")
    t = None if time is None else np.asarray(time, dtype=np.float64)
    if t is not None and not np.all(np.isfinite(t)):
        raise EngineInputError("time must be finite numbers")
    table = latest_votes(
        participant=p, statement=s, value=v, time=t, n_participants=n_p, n_statements=n_s
    )
    rejected = _mask(moderated_out, n_s, "moderated_out")
    is_meta = _mask(meta, n_s, "meta")
    return _Votes(p, s, v, t, n_p, n_s, table, rejected, is_meta)


def _within_size_limits(votes: _Votes, rules: PolisRules) -> _Votes:
    """Pol.is's customs: only the first `max_cmts` comments and `max_ptpts`
    participants to receive or cast a vote (in arrival order) count.

    Pol.is admits a vote when both its comment and its participant are known
    or there is room; with the participant limit (80,000 or more) never
    reached, that is the comments first voted on. Without vote times the
    caller's order stands for arrival.
    """
    n_cmts = int(np.count_nonzero(np.bincount(votes.s, minlength=votes.n_s)))
    n_ptpts = int(np.count_nonzero(np.bincount(votes.p, minlength=votes.n_p)))
    limits = [
        (ids, limit)
        for ids, n, limit in (
            (votes.s, n_cmts, rules.max_cmts),
            (votes.p, n_ptpts, rules.max_ptpts),
        )
        if limit is not None and n > limit
    ]
    if not limits:
        return votes
    n = votes.p.shape[0]
    order = np.arange(n) if votes.t is None else np.argsort(votes.t, kind="stable")
    keep = np.ones(n, dtype=bool)
    for ids, limit in limits:
        kept_order = order[keep[order]]
        first = np.full(int(ids.max()) + 1, n, dtype=np.int64)
        np.minimum.at(first, ids[kept_order], np.arange(kept_order.shape[0]))
        seen = np.flatnonzero(first < n)
        admitted = seen[np.argsort(first[seen], kind="stable")][:limit]
        keep &= np.isin(ids, admitted)
    p, s, v = votes.p[keep], votes.s[keep], votes.v[keep]
    t = None if votes.t is None else votes.t[keep]
    table = latest_votes(
        participant=p,
        statement=s,
        value=v,
        time=t,
        n_participants=votes.n_p,
        n_statements=votes.n_s,
    )
    return _Votes(p, s, v, t, votes.n_p, votes.n_s, table, votes.rejected, votes.is_meta)


def _rating_matrix(votes: _Votes, rules: PolisRules) -> RatingMatrix:
    row_order = participant_order(votes.table, participant=votes.p, time=votes.t)
    # Before February 2017 Pol.is kept moderated-out comments in the PCA (it had
    # no meta flag either); they only left the representative and consensus lists.
    zeroed = votes.rejected | votes.is_meta if rules.zero_moderated else np.zeros(votes.n_s, bool)
    return build_rating_matrix(votes.table, row_order=row_order, moderated_out=zeroed)


def _in_conv_rule(rules: PolisRules) -> InConvRule:
    return InConvRule(
        all_voters=rules.in_conv == "all_voters",
        strict=rules.in_conv_strict,
        fallback=rules.in_conv_fallback,
        counts_zeroed=rules.in_conv_counts_zeroed,
    )


def _in_conv(
    votes: _Votes, rm: RatingMatrix, params: PolisParams, moderated_at: ArrayLike | None
) -> tuple[NDArray[np.bool_], BaseReplay | None]:
    """Who is clustered (and the base-cluster replay, when asked for, which decides it)."""
    rank = np.zeros(votes.n_p, dtype=np.int64)
    rank[rm.rows] = np.arange(rm.n_rows)
    counts = np.bincount(votes.table.participant, minlength=votes.n_p).astype(np.int64)
    rule = _in_conv_rule(params.rules)
    if votes.t is not None and params.replay_base_clusters:
        replayed = _replay_base(votes, params, moderated_at)
        return replayed.in_conv, replayed
    if votes.t is not None and params.replay_in_conv:
        in_conv = in_conv_replayed(
            participant=votes.p,
            statement=votes.s,
            time=votes.t,
            final_counts=counts,
            n_statements=votes.n_s,
            rank=rank,
            rule=rule,
            zeroed=votes.rejected | votes.is_meta,
        )
        return in_conv, None
    return in_conv_snapshot(counts, rm.n_cols, rank, rule, int(rm.col_out.sum())), None


def _replay_base(votes: _Votes, params: PolisParams, moderated_at: ArrayLike | None) -> BaseReplay:
    assert votes.t is not None
    out = votes.rejected | votes.is_meta
    mod_at = (
        np.where(out, -np.inf, np.inf)
        if moderated_at is None
        else np.asarray(moderated_at, dtype=np.float64)
    )
    if mod_at.shape != (votes.n_s,):
        raise EngineInputError(
            f"moderated_at must have one entry per statement ({votes.n_s}), got shape {mod_at.shape}"
        )
    return replay_base_clusters(
        participant=votes.p,
        statement=votes.s,
        value=votes.v,
        time=votes.t,
        moderated_at=mod_at,
        n_participants=votes.n_p,
        n_statements=votes.n_s,
        k=params.rules.base_k,
        max_iters=params.rules.base_iters,
        gap_ms=params.replay_gap_ms,
    )


@dataclass(frozen=True)
class _Clustered:
    base: Clustering | None
    step: GroupStep | None
    reason: str | None


def _cluster(
    rm: RatingMatrix,
    positions: NDArray[np.float64],
    in_conv: NDArray[np.bool_],
    replayed: BaseReplay | None,
    votes: _Votes,
    params: PolisParams,
    clock: _Clock,
) -> _Clustered:
    """Base clusters over the in-conv participants, then the group clusters."""
    rules = params.rules
    in_conv_rows = np.flatnonzero(in_conv[rm.rows])
    if rm.n_rows == 0:
        return _Clustered(None, None, "no votes")
    if in_conv_rows.size == 0:
        return _Clustered(None, None, "no participant has voted enough to be clustered")
    if replayed is not None:
        row_of = np.full(in_conv.shape[0], -1, dtype=np.int64)
        row_of[rm.rows] = np.arange(rm.n_rows)
        base = _recentred(replayed.clustering, positions, row_of)
    else:
        base = kmeans(
            positions[in_conv_rows], rm.rows[in_conv_rows], rules.base_k, max_iters=rules.base_iters
        )
    clock.lap("base_clusters")
    reason: str | None = None
    step: GroupStep | None = None
    if base.ids.shape[0] < 2:
        reason = (
            "all clustered participants sit at one point: there is no opinion structure to group"
        )
    else:
        step = group_clusterings(
            base,
            max_k=rules.max_k,
            iters=rules.group_iters,
            k_buffer=rules.k_smoother_buffer or 1,
            candidates=group_k_candidates(rules, base.ids.shape[0]),
            weighted=rules.group_weighted,
        )
        if params.k_from_history and votes.t is not None:
            step = _k_from_history(step, votes, in_conv, rules)
        if step.chosen.ids.shape[0] < 2:
            reason = "participants form a single group"
            step = None
    clock.lap("groups")
    return _Clustered(base, step, reason)


def _k_from_history(
    step: GroupStep, votes: _Votes, in_conv: NDArray[np.bool_], rules: PolisRules
) -> GroupStep:
    """The group count Pol.is's smoother can have reached by the last vote (group_count.py)."""
    assert votes.t is not None
    admitted = admission_times(
        participant=votes.p,
        statement=votes.s,
        time=votes.t,
        in_conv=in_conv,
        n_statements=votes.n_s,
    )
    allowed = established_k(rules, admitted, votes.t, sorted(step.silhouettes))
    k = smoothed_choice(step.silhouettes, allowed)
    if k == step.smoother.smoothed_k:
        return step
    return GroupStep(step.clusterings, step.silhouettes, KSmoother(step.smoother.last_k, 1, k))


_RawGroup = tuple[int, tuple[float, float], list[int], NDArray[np.int64]]


def _group_members(
    rm: RatingMatrix, clustered: _Clustered, n_p: int
) -> tuple[list[_RawGroup], NDArray[np.int64]]:
    """Each chosen group's id, centre, base clusters and members; the group of each row."""
    row_group = np.full(rm.n_rows, -1, dtype=np.int64)
    groups_raw: list[_RawGroup] = []
    base, step = clustered.base, clustered.step
    if base is None or step is None:
        return groups_raw, row_group
    chosen = step.chosen
    base_pos = {int(b): i for i, b in enumerate(base.ids)}
    row_of = np.full(n_p, -1, dtype=np.int64)
    row_of[rm.rows] = np.arange(rm.n_rows)
    for gpos in range(chosen.ids.shape[0]):
        bids = [int(b) for b in chosen.members(gpos)]
        members = np.sort(base.names[np.isin(base.labels, [base_pos[b] for b in bids])])
        row_group[row_of[members]] = gpos
        center = (float(chosen.centers[gpos, 0]), float(chosen.centers[gpos, 1]))
        groups_raw.append((int(chosen.ids[gpos]), center, sorted(bids), members))
    return groups_raw, row_group


@dataclass(frozen=True)
class _StatementStats:
    counts: VoteCounts
    groups: list[OpinionGroup]
    agree_side: list[ConsensusComment]
    disagree_side: list[ConsensusComment]
    gac_cols: NDArray[np.float64]
    priorities: NDArray[np.float64]


def _statement_stats(
    rm: RatingMatrix,
    votes: _Votes,
    pca: Pca,
    groups_raw: list[_RawGroup],
    row_group: NDArray[np.int64],
    clock: _Clock,
) -> _StatementStats:
    """Representative and consensus statements, group-aware consensus, priorities."""
    n_groups = len(groups_raw)
    counts = count_votes(rm, row_group, n_groups)
    allowed = ~(votes.rejected | votes.is_meta)[rm.cols]
    groups: list[OpinionGroup] = []
    for g, (gid, center, bids, members) in enumerate(groups_raw):
        reps = select_representative(group_stats(counts, g), allowed)
        groups.append(OpinionGroup(gid, center, bids, members, [_rep(rm, r) for r in reps]))
    clock.lap("repness")

    everyone = count_votes(rm, np.zeros(rm.n_rows, dtype=np.int64), 1)
    agree_side, disagree_side = select_consensus(everyone, allowed)
    clock.lap("consensus")

    # Pol.is computes both from the clustered participants' votes; with no groups
    # all voters stand in as one group so that every statement still gets a number.
    basis: VoteCounts = counts if n_groups else everyone
    gac_cols = group_aware_consensus(basis.agree, basis.seen)
    a_tot = basis.agree.sum(axis=0)
    d_tot = basis.disagree.sum(axis=0)
    s_tot = basis.seen.sum(axis=0)
    prio_cols = comment_priorities(
        agree=a_tot,
        passes=s_tot - a_tot - d_tot,
        seen=s_tot,
        extremity=pca.statement_extremity,
        is_meta=votes.is_meta[rm.cols],
    )
    n_s = votes.n_s
    priorities = comment_priorities(
        agree=np.zeros(n_s),
        passes=np.zeros(n_s),
        seen=np.zeros(n_s),
        extremity=np.zeros(n_s),
        is_meta=votes.is_meta,
    )
    priorities[rm.cols] = prio_cols
    clock.lap("priorities")
    return _StatementStats(counts, groups, agree_side, disagree_side, gac_cols, priorities)


def analyze_votes(
    *,
    participant: ArrayLike,
    statement: ArrayLike,
    value: ArrayLike,
    n_participants: int | None = None,
    n_statements: int | None = None,
    time: ArrayLike | None = None,
    moderated_out: ArrayLike | None = None,
    meta: ArrayLike | None = None,
    moderated_at: ArrayLike | None = None,
    params: PolisParams | None = None,
) -> PolisResult:
    """Run Pol.is's conversation math on vote records.

    `participant` and `statement` are dense indices (0..n-1), `value` is +1
    agree, -1 disagree, 0 pass, one entry per vote event; with `time` (any
    increasing number, e.g. epoch ms) the latest vote per (participant,
    statement) counts and the history is replayed where Pol.is's result depends
    on it (sticky in-conv); without it the last row counts. `moderated_out`
    (rejected) and `meta` are boolean masks over statements; both are zeroed
    before the PCA, as Pol.is does (since February 2017). `moderated_at` (per
    statement, the time from which it was moderated out; see
    replay.estimate_moderation_times) is only used by the base-cluster replay;
    without it, moderated-out statements count as moderated out from the start.
    `params.rules` picks the era of Pol.is's rules (polis_eras.py; today's by
    default).

    Raises EngineInputError for malformed input (wrong shapes, indices out of
    range, values other than -1/0/1). A conversation too small to group returns
    a result with no groups and `reason` set.
    """
    params = params or PolisParams()
    rules = params.rules
    clock = _Clock()
    votes = _checked_votes(
        participant, statement, value, n_participants, n_statements, time, moderated_out, meta
    )
    if params.size_limits:
        votes = _within_size_limits(votes, rules)
    rm = _rating_matrix(votes, rules)
    clock.lap("votes")
    pca, positions = polis_pca(rm, impute=rules.impute, sparse_projection=rules.sparse_projection)
    clock.lap("pca")
    in_conv, replayed = _in_conv(votes, rm, params, moderated_at)
    clock.lap("in_conv")
    clustered = _cluster(rm, positions, in_conv, replayed, votes, params, clock)
    groups_raw, row_group = _group_members(rm, clustered, votes.n_p)
    stats = _statement_stats(rm, votes, pca, groups_raw, row_group, clock)
    return _result(votes, rm, pca, positions, in_conv, clustered, row_group, stats, rules, clock)


def _result(
    votes: _Votes,
    rm: RatingMatrix,
    pca: Pca,
    positions: NDArray[np.float64],
    in_conv: NDArray[np.bool_],
    clustered: _Clustered,
    row_group: NDArray[np.int64],
    stats: _StatementStats,
    rules: PolisRules,
    clock: _Clock,
) -> PolisResult:
    n_p, n_s = votes.n_p, votes.n_s
    positions_full = np.zeros((n_p, 2))
    positions_full[rm.rows] = positions
    group_of_participant = np.full(n_p, -1, dtype=np.int64)
    group_of_participant[rm.rows] = row_group
    base = clustered.base
    base_list = (
        [
            BaseCluster(
                int(base.ids[i]),
                (float(base.centers[i, 0]), float(base.centers[i, 1])),
                np.sort(base.members(i)),
            )
            for i in range(base.ids.shape[0])
        ]
        if base is not None
        else []
    )
    counts = stats.counts
    return PolisResult(
        n_participants=n_p,
        n_statements=n_s,
        n_votes=votes.table.n_votes,
        voted_statements=rm.cols,
        in_conv=in_conv,
        participant_position=positions_full,
        participant_group=group_of_participant,
        pca_center=_spread(rm, pca.center, n_s),
        pca_components=_spread(rm, pca.components, n_s),
        statement_projection=_spread(rm, pca.statement_projection, n_s),
        statement_extremity=_spread(rm, pca.statement_extremity, n_s),
        base_clusters=base_list,
        groups=stats.groups,
        group_silhouettes=dict(clustered.step.silhouettes) if clustered.step is not None else {},
        group_agree=_spread(rm, counts.agree, n_s),
        group_disagree=_spread(rm, counts.disagree, n_s),
        group_seen=_spread(rm, counts.seen, n_s),
        consensus_agree=[_cons(rm, c) for c in stats.agree_side],
        consensus_disagree=[_cons(rm, c) for c in stats.disagree_side],
        group_aware_consensus=_spread(
            rm, stats.gac_cols, n_s, fill=float(0.5 ** max(len(stats.groups), 1))
        ),
        priorities=stats.priorities,
        moderated_out=votes.rejected,
        meta=votes.is_meta,
        reason=clustered.reason,
        rules=rules.name,
        timings_s=clock.timings,
    )


def _ids(ids: Sequence[Any] | None, n: int) -> list[str]:
    if ids is None:
        return [str(i) for i in range(n)]
    if len(ids) != n:
        raise EngineInputError(f"expected {n} ids, got {len(ids)}")
    return [str(i) for i in ids]


def _num(x: float) -> float:
    f = float(x)
    if not np.isfinite(f):
        raise AssertionError(f"non-finite number in engine output: {f}")
    return f


def result_to_dict(
    result: PolisResult,
    *,
    participant_ids: Sequence[Any] | None = None,
    statement_ids: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """JSON-ready form of a result, keyed by the caller's ids (as strings).

    Stable keys: participants, groups, consensus, group_aware_consensus, pca,
    priorities, timings_s. Statements are identified by `statement_ids[i]`
    (default: the index), participants by `participant_ids[i]`.
    """
    pid = _ids(participant_ids, result.n_participants)
    sid = _ids(statement_ids, result.n_statements)

    def sid_int(i: int) -> Any:
        key = sid[i]
        return int(key) if key.lstrip("-").isdigit() else key

    group_id = [g.id for g in result.groups]
    cols = [int(c) for c in result.voted_statements]
    return {
        "engine": "polis",
        "engine_version": ENGINE_VERSION,
        "n_participants": result.n_participants,
        "n_statements": result.n_statements,
        "n_votes": result.n_votes,
        "reason": result.reason,
        "polis_rules": result.rules,
        "participants": {
            pid[i]: (group_id[g] if g >= 0 else None)
            for i, g in enumerate(result.participant_group.tolist())
        },
        "in_conv": [sid_p for sid_p, ok in zip(pid, result.in_conv.tolist(), strict=True) if ok],
        "groups": [
            {
                "id": g.id,
                "size": g.size,
                "center": [_num(g.center[0]), _num(g.center[1])],
                "base_clusters": g.base_clusters,
                "members": [pid[m] for m in g.members.tolist()],
                "representative": [
                    {
                        "statement": sid_int(r.statement),
                        "direction": r.direction,
                        "n_success": r.n_success,
                        "n_trials": r.n_trials,
                        "p_success": _num(r.p_success),
                        "p_test": _num(r.p_test),
                        "repness": _num(r.repness),
                        "repness_test": _num(r.repness_test),
                        "best_agree": r.best_agree,
                    }
                    for r in g.representative
                ],
                "votes": {
                    sid[j]: {
                        "agree": int(result.group_agree[gi, j]),
                        "disagree": int(result.group_disagree[gi, j]),
                        "seen": int(result.group_seen[gi, j]),
                    }
                    for j in cols
                },
            }
            for gi, g in enumerate(result.groups)
        ],
        "group_silhouettes": {str(k): _num(v) for k, v in result.group_silhouettes.items()},
        "base_clusters": [
            {
                "id": b.id,
                "center": [_num(b.center[0]), _num(b.center[1])],
                "members": [pid[m] for m in b.members.tolist()],
            }
            for b in result.base_clusters
        ],
        "consensus": {
            "agree": [sid_int(c.statement) for c in result.consensus_agree],
            "disagree": [sid_int(c.statement) for c in result.consensus_disagree],
        },
        "consensus_stats": {
            side: [
                {
                    "statement": sid_int(c.statement),
                    "n_success": c.n_success,
                    "n_trials": c.n_trials,
                    "p_success": _num(c.p_success),
                    "p_test": _num(c.p_test),
                }
                for c in items
            ]
            for side, items in (
                ("agree", result.consensus_agree),
                ("disagree", result.consensus_disagree),
            )
        },
        "group_aware_consensus": {
            sid[j]: _num(result.group_aware_consensus[j]) for j in range(result.n_statements)
        },
        "pca": {
            "sign": "polis: agree = -1",
            "statements": [sid_int(j) for j in cols],
            "center": [_num(result.pca_center[j]) for j in cols],
            "components": [[_num(result.pca_components[c, j]) for j in cols] for c in range(2)],
            "statement_projections": [
                [_num(result.statement_projection[c, j]) for j in cols] for c in range(2)
            ],
            "statement_extremity": [_num(result.statement_extremity[j]) for j in cols],
        },
        "participant_positions": {
            pid[i]: [
                _num(result.participant_position[i, 0]),
                _num(result.participant_position[i, 1]),
            ]
            for i in np.flatnonzero(result.in_conv).tolist()
        },
        "moderated_out": [
            sid_int(j) for j in np.flatnonzero(result.moderated_out | result.meta).tolist()
        ],
        "meta": [sid_int(j) for j in np.flatnonzero(result.meta).tolist()],
        "priorities": {sid[j]: _num(result.priorities[j]) for j in range(result.n_statements)},
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    }
