"""Run the analysis engines on a snapshot and shape one JSON result.

This is the glue between the database snapshot (participant and statement
NUMBERS) and the engines in aggregation/engine (dense indices). It knows no
Django either, so a run can be reproduced from a snapshot alone. Every key
of the result uses per-space numbers, never database ids.

The result is a pure function of the snapshot: timings are returned
separately, so two runs on one snapshot store identical results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aggregation.engine import ENGINE_VERSION
from aggregation.engine.bridging import BridgingResult, fit_bridging
from aggregation.engine.classify import classify_statements
from aggregation.engine.intervals import wilson_interval
from aggregation.engine.manipulation import detect_anomalies
from aggregation.engine.pairwise import PairwiseResult, bradley_terry
from aggregation.engine.polis import PolisParams, PolisResult, analyze_votes, result_to_dict
from aggregation.engine.preferences import PairTally, tally_pairs
from aggregation.engine.ranking import rank_ballots
from aggregation.engine.uncertainty import BootstrapResult, Interval, bootstrap
from aggregation.engine.votes import VoteTable, latest_votes
from aggregation.snapshot import CHOICES, Snapshot

RESULT_SCHEMA = "analysis-result/1"
# Below this many people a segment cell is not reported (re-identification risk).
MIN_CELL = 5
SEED = 0
# Bootstrap resamples for the intervals (engine II's default). The bridging
# refits of all resamples run together (uncertainty.py).
BOOTSTRAP_RESAMPLES = 200
# Fewer voters than this on a statement: "too few votes to say" (the space's
# own setting, Space.min_voters, is passed in by the run).
MIN_VOTERS = 5

StageCallback = Callable[[str], None]


@dataclass
class AnalysisOutput:
    result: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # Statement numbers by routing priority, highest first: what the vote card reads.
    routing: list[int] = field(default_factory=list)


def routing_order(priorities: dict[int, float]) -> list[int]:
    """Statement numbers by priority, highest first; ties go to the lower number."""
    return sorted(priorities, key=lambda number: (-priorities[number], number))


def _round(x: float, digits: int = 6) -> float:
    """Rounded so the stored JSON stays small; NaN/inf never reach a result."""
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"non-finite number in an analysis result: {value}")
    return round(value, digits)


class _Stages:
    """Announces each stage (for the progress page) and times it."""

    def __init__(self, on_stage: StageCallback | None) -> None:
        self.on_stage = on_stage
        self.timings: dict[str, float] = {}
        self._stage: str | None = None
        self._start = 0.0

    def begin(self, stage: str) -> None:
        self.end()
        self._stage, self._start = stage, time.perf_counter()
        if self.on_stage is not None:
            self.on_stage(stage)

    def end(self) -> None:
        if self._stage is not None:
            self.timings[self._stage] = round(time.perf_counter() - self._start, 6)
            self._stage = None


def _with_wilson_rates(
    boot: BootstrapResult,
    agree: np.ndarray,
    disagree: np.ndarray,
    total: np.ndarray,
) -> BootstrapResult:
    """The bootstrap result with its agree and disagree rate intervals replaced by Wilson's.

    A percentile bootstrap over participants collapses to a point when few
    people voted; the Wilson interval is right at any n (engine/intervals.py).
    The bootstrap stays for the measures with no closed form (group-aware
    consensus, bridging, group spread).
    """
    a_low, a_high = wilson_interval(agree, total)
    d_low, d_high = wilson_interval(disagree, total)
    statements = []
    for s in boot.statements:
        j = s.statement
        statements.append(
            replace(
                s,
                agree_rate=Interval(s.agree_rate.value, float(a_low[j]), float(a_high[j])),
                disagree_rate=Interval(s.disagree_rate.value, float(d_low[j]), float(d_high[j])),
            )
        )
    return replace(boot, statements=tuple(statements))


@dataclass(frozen=True, eq=False)
class _Input:
    """The snapshot as engine arrays, and which statements make the profile."""

    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    value: NDArray[np.int64]
    time: NDArray[np.float64] | None
    moderated_out: NDArray[np.bool_]
    meta: NDArray[np.bool_]
    # Indices of statements that make the profile: accepted and not meta.
    accepted: list[int]
    participant_numbers: list[int]
    statement_numbers: list[int]


def _input(snapshot: Snapshot) -> _Input:
    status = np.array(snapshot.statement_status, dtype=object)
    meta = np.asarray(snapshot.statement_meta, dtype=bool)
    moderated_out = status != "accepted" if status.size else np.zeros(0, dtype=bool)
    return _Input(
        participant=snapshot.vote_participant.astype(np.int64),
        statement=snapshot.vote_statement.astype(np.int64),
        value=snapshot.vote_value.astype(np.int64),
        time=snapshot.vote_time_ms.astype(np.float64) if snapshot.n_vote_events else None,
        moderated_out=np.asarray(moderated_out, dtype=bool),
        meta=meta,
        accepted=np.flatnonzero(~moderated_out & ~meta).tolist(),
        participant_numbers=snapshot.participant_numbers.tolist(),
        statement_numbers=snapshot.statement_numbers.tolist(),
    )


@dataclass(frozen=True, eq=False)
class _Groups:
    """Engine I's result, the latest-vote table, and vote counts per statement and group."""

    polis: PolisResult
    polis_dict: dict[str, Any]
    params: PolisParams
    table: VoteTable
    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    passes: NDArray[np.int64]
    group_agree: NDArray[np.int64]
    group_disagree: NDArray[np.int64]
    group_seen: NDArray[np.int64]


def _groups_stage(inp: _Input) -> _Groups:
    n_p, n_s = len(inp.participant_numbers), len(inp.statement_numbers)
    params = PolisParams()
    polis = analyze_votes(
        participant=inp.participant,
        statement=inp.statement,
        value=inp.value,
        n_participants=n_p,
        n_statements=n_s,
        time=inp.time,
        moderated_out=inp.moderated_out,
        meta=inp.meta,
        params=params,
    )
    polis_dict = result_to_dict(
        polis, participant_ids=inp.participant_numbers, statement_ids=inp.statement_numbers
    )
    table = latest_votes(
        participant=inp.participant,
        statement=inp.statement,
        value=inp.value,
        time=inp.time,
        n_participants=n_p,
        n_statements=n_s,
    )
    group_of = polis.participant_group  # -1 = not grouped
    k = len(polis.groups)
    g_agree = np.zeros((k, n_s), dtype=np.int64)
    g_disagree = np.zeros((k, n_s), dtype=np.int64)
    g_seen = np.zeros((k, n_s), dtype=np.int64)
    for g in range(k):
        in_g = group_of[table.participant] == g
        g_agree[g] = np.bincount(table.statement[in_g & (table.value == 1)], minlength=n_s)
        g_disagree[g] = np.bincount(table.statement[in_g & (table.value == -1)], minlength=n_s)
        g_seen[g] = np.bincount(table.statement[in_g], minlength=n_s)
    return _Groups(
        polis=polis,
        polis_dict=polis_dict,
        params=params,
        table=table,
        agree=np.bincount(table.statement[table.value == 1], minlength=n_s),
        disagree=np.bincount(table.statement[table.value == -1], minlength=n_s),
        passes=np.bincount(table.statement[table.value == 0], minlength=n_s),
        group_agree=g_agree,
        group_disagree=g_disagree,
        group_seen=g_seen,
    )


@dataclass(frozen=True, eq=False)
class _Choices:
    """Comparisons and ballots over the profile's statements (positions in `accepted`)."""

    winners: NDArray[np.int64]
    losers: NDArray[np.int64]
    undecided: NDArray[np.int64]
    ballots: list[list[int]]


def _choices(snapshot: Snapshot, inp: _Input) -> _Choices:
    """Comparisons and ballots of other statements are left out, in the order given."""
    sub = np.full(len(inp.statement_numbers), -1, dtype=np.int64)
    sub[inp.accepted] = np.arange(len(inp.accepted))
    a, b = sub[snapshot.comparison_a], sub[snapshot.comparison_b]
    choice = snapshot.comparison_choice
    kept = (a >= 0) & (b >= 0)
    a_wins = kept & (choice == CHOICES.index("a"))
    b_wins = kept & (choice == CHOICES.index("b"))
    neither = kept & ~a_wins & ~b_wins
    decided = np.flatnonzero(a_wins | b_wins)
    positions = sub.tolist()
    ballots = [
        [positions[s] for s in ballot if positions[s] >= 0] for _p, ballot in snapshot.ballots()
    ]
    return _Choices(
        winners=np.where(a_wins[decided], a[decided], b[decided]).astype(np.int64),
        losers=np.where(a_wins[decided], b[decided], a[decided]).astype(np.int64),
        undecided=np.column_stack([a[neither], b[neither]]).astype(np.int64).reshape(-1, 2),
        ballots=[ballot for ballot in ballots if ballot],
    )


def _pairwise_stage(snapshot: Snapshot, inp: _Input, choices: _Choices) -> PairwiseResult | None:
    """Bradley-Terry over the profile's statements."""
    if not snapshot.n_comparisons:
        return None
    return bradley_terry(
        choices.winners, choices.losers, len(inp.accepted), undecided=choices.undecided
    )


def _rankings_stage(
    inp: _Input, choices: _Choices
) -> tuple[dict[str, Any] | None, list[PairTally]]:
    """Every ranked-ballot rule, and per pair of statements what choices and ballots said."""
    rankings = (
        _ranking_rules(choices.ballots, [inp.statement_numbers[j] for j in inp.accepted])
        if choices.ballots
        else None
    )
    pairs = tally_pairs(
        winners=choices.winners,
        losers=choices.losers,
        undecided=choices.undecided,
        ballots=choices.ballots,
        n_items=len(inp.accepted),
    )
    return rankings, pairs


@dataclass(frozen=True, eq=False)
class _Uncertainty:
    boot: BootstrapResult
    classes: Any
    anomalies: Any


def _uncertainty_stage(
    inp: _Input, groups: _Groups, bridging: BridgingResult, min_voters: int
) -> _Uncertainty:
    """Bootstrap intervals (Wilson's for the agree and disagree rates), the
    classes judged on them, then the manipulation checks."""
    boot = bootstrap(
        groups.table,
        groups=groups.polis.participant_group,
        n_resamples=BOOTSTRAP_RESAMPLES,
        seed=SEED,
        bridging=bridging,
    )
    boot = _with_wilson_rates(
        boot, groups.agree, groups.disagree, groups.agree + groups.disagree + groups.passes
    )
    representative = {r.statement for g in groups.polis.groups for r in g.representative}
    classes = classify_statements(
        boot, bridging=bridging, representative=representative, min_votes=min_voters
    )
    first_vote_s = np.zeros(len(inp.participant_numbers))
    if inp.time is not None:
        # Events are in time order: the first occurrence is each one's first vote.
        seen, first_at = np.unique(inp.participant, return_index=True)
        first_vote_s[seen] = inp.time[first_at] / 1000.0
    anomalies = detect_anomalies(groups.table, participant_time=first_vote_s, bridging=bridging)
    return _Uncertainty(boot, classes, anomalies)


def analyze_snapshot(
    snapshot: Snapshot,
    *,
    on_stage: StageCallback | None = None,
    min_voters: int = MIN_VOTERS,
) -> AnalysisOutput:
    """Run every engine stage on the snapshot; `on_stage(name)` is called as each starts.

    Statements fewer than `min_voters` people voted on are classified
    uncertain and flagged `enough_votes: false` (the profile lists them apart).
    """
    if min_voters < 1:
        raise ValueError(f"min_voters must be at least 1, not {min_voters}")
    stages = _Stages(on_stage)
    inp = _input(snapshot)
    stages.begin("groups")
    groups = _groups_stage(inp)
    stages.begin("bridging")
    bridging = fit_bridging(groups.table, seed=SEED)
    stages.begin("pairwise")
    choices = _choices(snapshot, inp)
    pairwise = _pairwise_stage(snapshot, inp, choices)
    stages.begin("rankings")
    rankings, preference_pairs = _rankings_stage(inp, choices)
    # One "bootstrap" stage for the progress page: uncertainty, classes and
    # manipulation checks (all engine II), then shaping the result.
    stages.begin("bootstrap")
    uncertainty = _uncertainty_stage(inp, groups, bridging, min_voters)
    result = _result(
        snapshot,
        inp,
        groups,
        bridging,
        pairwise,
        (rankings, preference_pairs),
        uncertainty,
        min_voters,
    )
    stages.end()
    counts = {
        "participants": snapshot.n_participants,
        "voters": int(np.unique(groups.table.participant).size),
        "statements": len(inp.accepted),
        "votes": groups.table.n_votes,
        "comparisons": snapshot.n_comparisons,
        "rankings": snapshot.n_ballots,
    }
    boot = uncertainty.boot
    parameters = {
        "seed": SEED,
        "polis": asdict(groups.params),
        "bridging": bridging.parameters,
        "pairwise": {"prior_sd": pairwise.prior_sd} if pairwise else None,
        "bootstrap": _bootstrap_record(boot),
        "classification": uncertainty.classes.thresholds,
        "anomalies": uncertainty.anomalies.parameters,
        "min_segment_cell": MIN_CELL,
        "min_voters": min_voters,
        "agree_rate_interval": "wilson",
    }
    priorities = groups.polis.priorities.tolist()
    return AnalysisOutput(
        result=result,
        timings=stages.timings,
        parameters=parameters,
        counts=counts,
        routing=routing_order(dict(zip(inp.statement_numbers, priorities, strict=True))),
    )


def _bootstrap_record(boot: BootstrapResult) -> dict[str, Any]:
    """How the intervals were made, stored with the run and its result.

    `method` names the procedure (uncertainty.METHOD: "/2" refits bridging
    for every resample at once with a fixed number of sweeps, recorded as
    `bridging_sweeps`; results without it came from "/1", each resample
    refitted to convergence).
    """
    return {
        "method": boot.method,
        "resamples": boot.n_resamples,
        "level": boot.level,
        "seed": boot.seed,
        "bridging_sweeps": boot.bridging_sweeps,
    }


def _result(
    snapshot: Snapshot,
    inp: _Input,
    groups: _Groups,
    bridging: BridgingResult,
    pairwise: PairwiseResult | None,
    ranked: tuple[dict[str, Any] | None, list[PairTally]],
    uncertainty: _Uncertainty,
    min_voters: int,
) -> dict[str, Any]:
    """The stored result: every key by participant and statement NUMBERS."""
    rankings, preference_pairs = ranked
    polis_dict = groups.polis_dict
    boot = uncertainty.boot
    # Groups are reported by position 0..k-1 (the engine's own ids may differ).
    position_of = {g["id"]: i for i, g in enumerate(polis_dict["groups"])}
    participants = {
        key: (position_of[g] if g is not None else None)
        for key, g in polis_dict["participants"].items()
    }
    group_list = [
        {
            "id": i,
            "size": g["size"],
            "representative": [
                {
                    "statement": r["statement"],
                    "direction": r["direction"],
                    "p_success": _round(r["p_success"]),
                    "repness": _round(r["repness"]),
                    "repness_test": _round(r["repness_test"]),
                }
                for r in g["representative"]
            ],
        }
        for i, g in enumerate(polis_dict["groups"])
    ]
    pn, sn = inp.participant_numbers, inp.statement_numbers
    return {
        "schema": RESULT_SCHEMA,
        "engine_version": ENGINE_VERSION,
        "participants": participants,
        "groups": group_list,
        "consensus": polis_dict["consensus"],
        "priorities": polis_dict["priorities"],
        "statements": _statement_entries(
            snapshot, inp, groups, bridging, pairwise, rankings, uncertainty, min_voters
        ),
        "opinion_groups": {
            "reason": polis_dict["reason"],
            "silhouettes": polis_dict["group_silhouettes"],
            "clustered": len(polis_dict["in_conv"]),
        },
        "bridging": {
            "global_intercept": _round(bridging.global_intercept),
            "converged": bridging.converged,
            "iterations": bridging.iterations,
            "note": bridging.note,
        },
        "pairwise": (
            {
                "comparisons": pairwise.n_comparisons,
                "undecided": pairwise.n_undecided,
                "components": pairwise.n_components,
                "note": pairwise.note,
            }
            if pairwise is not None
            else None
        ),
        "rankings": ({k: v for k, v in rankings.items() if k != "positions"} if rankings else None),
        # Per pair of profile statements: choices and ballot orders, counts only.
        "preferences": _preferences(preference_pairs, inp),
        "uncertainty": _bootstrap_record(boot),
        "classification": {"thresholds": uncertainty.classes.thresholds},
        "anomalies": _anomalies(uncertainty.anomalies, pn, sn),
        "segments": _segments(snapshot, groups.table, inp.accepted),
        "map": _opinion_map(polis_dict),
    }


def _preferences(pairs: list[PairTally], inp: _Input) -> list[dict[str, Any]]:
    sn, accepted = inp.statement_numbers, inp.accepted
    return [
        {
            "a": sn[accepted[t.low]],
            "b": sn[accepted[t.high]],
            "a_chosen": t.low_chosen,
            "b_chosen": t.high_chosen,
            "undecided": t.undecided,
            "a_ranked_higher": t.low_ranked_higher,
            "b_ranked_higher": t.high_ranked_higher,
        }
        for t in pairs
    ]


def _statement_entries(
    snapshot: Snapshot,
    inp: _Input,
    groups: _Groups,
    bridging: BridgingResult,
    pairwise: PairwiseResult | None,
    rankings: dict[str, Any] | None,
    uncertainty: _Uncertainty,
    min_voters: int,
) -> dict[str, Any]:
    """One entry per statement: status, votes, rates and intervals, bridging, class, ranks."""
    polis_dict, boot, classes = groups.polis_dict, uncertainty.boot, uncertainty.classes
    agree, disagree, passes = groups.agree, groups.disagree, groups.passes
    g_agree, g_disagree, g_seen = groups.group_agree, groups.group_disagree, groups.group_seen
    k = g_seen.shape[0]
    profile_position = {j: i for i, j in enumerate(inp.accepted)}
    bt_by_index = {inp.accepted[i.statement]: i for i in pairwise.items} if pairwise else {}
    statements: dict[str, Any] = {}
    for j, number in enumerate(inp.statement_numbers):
        total = int(agree[j] + disagree[j] + passes[j])
        bridge = bridging.statements[j]
        bt = bt_by_index.get(j)
        position = profile_position.get(j)
        statements[str(number)] = {
            "status": snapshot.statement_status[j],
            "meta": bool(inp.meta[j]),
            "in_profile": position is not None,
            "enough_votes": total >= min_voters,
            "votes": {
                "agree": int(agree[j]),
                "disagree": int(disagree[j]),
                "pass": int(passes[j]),
                "total": total,
            },
            "agree_rate": _round(agree[j] / total) if total else None,
            "agree_rate_interval": _interval(boot.statements[j].agree_rate),
            "group_aware_consensus": _round(polis_dict["group_aware_consensus"][str(number)]),
            "group_aware_consensus_interval": _interval(boot.statements[j].group_consensus),
            "priority": _round(polis_dict["priorities"][str(number)]),
            "groups": [
                {
                    "group": g,
                    "agree": int(g_agree[g, j]),
                    "disagree": int(g_disagree[g, j]),
                    "pass": int(g_seen[g, j] - g_agree[g, j] - g_disagree[g, j]),
                    "votes": int(g_seen[g, j]),
                    "agree_rate": _round(g_agree[g, j] / g_seen[g, j]) if g_seen[g, j] else None,
                }
                for g in range(k)
            ],
            "bridging": {
                "score": _round(bridge.score),
                "factor": _round(bridge.factor),
                "raters": bridge.n_raters,
                "status": bridge.status,
                "interval": _interval(boot.statements[j].bridging_score),
            },
            "classification": classes.statements[j].label if position is not None else None,
            "classification_reason": (
                classes.statements[j].reason if position is not None else None
            ),
            "pairwise": (
                {
                    "score": _round(bt.score, 3),
                    "interval": [_round(bt.score_low, 3), _round(bt.score_high, 3)],
                    "strength": _round(bt.strength),
                    "wins": bt.wins,
                    "losses": bt.losses,
                    "undecided": bt.undecided,
                }
                if bt is not None
                else None
            ),
            "rankings": (
                {rule: positions[position] for rule, positions in rankings["positions"].items()}
                if rankings is not None and position is not None
                else None
            ),
        }
    return statements


def _opinion_map(polis_dict: dict[str, Any]) -> dict[str, Any]:
    """The opinion map's plane: clustered participants and voted statements in 2 PCA dimensions.

    Keyed by participant and statement numbers. Coordinates keep Pol.is's
    sign (agree = -1) and 4 decimals, which is finer than any picture draws.
    """
    pca = polis_dict["pca"]
    projections = pca["statement_projections"]
    return {
        "sign": pca["sign"],
        "participants": {
            key: [round(xy[0], 4), round(xy[1], 4)]
            for key, xy in polis_dict["participant_positions"].items()
        },
        "statements": {
            str(number): [round(projections[0][i], 4), round(projections[1][i], 4)]
            for i, number in enumerate(pca["statements"])
        },
    }


def _interval(interval: Interval | None) -> list[float] | None:
    if interval is None:
        return None
    return [_round(interval.low), _round(interval.high)]


def _ranking_rules(ballots: list[list[int]], numbers: list[int]) -> dict[str, Any]:
    """Every ranked-ballot rule on the ballots (candidates = profile statements, by index)."""
    ranking = rank_ballots(ballots, len(numbers))
    positions: dict[str, list[int | None]] = {}
    winners: dict[str, int | None] = {}
    refused: dict[str, str] = {}
    for rule in ranking.rules:
        if rule.refused is not None:
            refused[rule.rule] = rule.refused
            continue
        where: list[int | None] = [None] * len(numbers)
        for pos, candidate in enumerate(rule.ordering, start=1):
            where[candidate] = pos
        positions[rule.rule] = where
        winners[rule.rule] = numbers[rule.winner] if rule.winner is not None else None
    cmp = ranking.comparison
    return {
        "ballots": ranking.n_ballots,
        "condorcet_winner": (
            numbers[ranking.condorcet_winner] if ranking.condorcet_winner is not None else None
        ),
        "winners": winners,
        "agree": bool(cmp["same_winner"]),
        "same_top": bool(cmp["same_top_k"]),
        "top": {rule: [numbers[c] for c in top] for rule, top in cmp["top"].items()},
        "refused": refused,
        "note": ranking.note,
        "positions": positions,
    }


def _anomalies(anomalies: Any, pn: list[int], sn: list[int]) -> dict[str, Any]:
    """The manipulation report with participant and statement NUMBERS."""

    def change(top: Any) -> dict[str, Any]:
        return {
            "top_with": [sn[j] for j in top.top_with],
            "top_without": [sn[j] for j in top.top_without],
            "entered": [sn[j] for j in top.entered],
            "left": [sn[j] for j in top.left],
            "overlap": _round(top.overlap),
        }

    return {
        "flagged": [
            {"participant": pn[f.participant], "reasons": list(f.reasons), "burst": f.burst}
            for f in anomalies.flagged
        ],
        "bursts": [
            {"burst": b.burst, "participants": [pn[p] for p in b.participants]}
            for b in anomalies.bursts
        ],
        "without_flagged": {
            "by_bridging": change(anomalies.by_bridging),
            "by_agree_rate": change(anomalies.by_agree_rate),
            "votes_left_out": anomalies.n_votes_left_out,
        },
    }


def _segments(snapshot: Snapshot, table: Any, accepted: list[int]) -> list[dict[str, Any]]:
    """Agree rates per self-reported segment; cells under MIN_CELL people are suppressed.

    A segment smaller than MIN_CELL is reported without its size; within a
    reported segment, a statement fewer than MIN_CELL of its members voted on
    gets null instead of a rate.
    """
    out: list[dict[str, Any]] = []
    n_s = snapshot.n_statements
    agrees = table.value == 1
    for question, choices in sorted(snapshot.segments.items()):
        for choice, members in sorted(choices.items()):
            if len(members) < MIN_CELL:
                out.append(
                    {
                        "question": question,
                        "choice": choice,
                        "participants": None,
                        "suppressed": True,
                        "agree_rates": {},
                        "distributions": {},
                    }
                )
                continue
            member = np.zeros(snapshot.n_participants, dtype=bool)
            member[members] = True
            voted_by_member = member[table.participant]
            voted = np.bincount(table.statement[voted_by_member], minlength=n_s)
            agreed = np.bincount(table.statement[voted_by_member & agrees], minlength=n_s)
            disagreed = np.bincount(
                table.statement[voted_by_member & (table.value == -1)], minlength=n_s
            )
            rates: dict[str, float | None] = {}
            # Agree / disagree / pass counts, only where MIN_CELL members voted.
            distributions: dict[str, list[int]] = {}
            for j in accepted:
                number = str(snapshot.statement_numbers[j])
                if voted[j] < MIN_CELL:
                    rates[number] = None
                    continue
                rates[number] = _round(agreed[j] / voted[j])
                passed = int(voted[j] - agreed[j] - disagreed[j])
                distributions[number] = [int(agreed[j]), int(disagreed[j]), passed]
            out.append(
                {
                    "question": question,
                    "choice": choice,
                    "participants": len(members),
                    "suppressed": False,
                    "agree_rates": rates,
                    "distributions": distributions,
                }
            )
    return out
