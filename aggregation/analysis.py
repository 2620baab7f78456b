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

from aggregation.engine import ENGINE_VERSION
from aggregation.engine.bridging import fit_bridging
from aggregation.engine.classify import classify_statements
from aggregation.engine.intervals import wilson_interval
from aggregation.engine.manipulation import detect_anomalies
from aggregation.engine.pairwise import bradley_terry
from aggregation.engine.polis import PolisParams, analyze_votes, result_to_dict
from aggregation.engine.preferences import tally_pairs
from aggregation.engine.ranking import rank_ballots
from aggregation.engine.uncertainty import BootstrapResult, Interval, bootstrap
from aggregation.engine.votes import latest_votes
from aggregation.snapshot import Snapshot

RESULT_SCHEMA = "analysis-result/1"
# Below this many people a segment cell is not reported (re-identification risk).
MIN_CELL = 5
SEED = 0
# Bootstrap resamples for the intervals (engine II's default). Each refits
# the bridging model, which dominates a run's time on small spaces.
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


def _accepted(snapshot: Snapshot) -> list[int]:
    """Indices of statements that make the profile: accepted and not meta."""
    return [
        i
        for i in range(snapshot.n_statements)
        if snapshot.statement_status[i] == "accepted" and not snapshot.statement_meta[i]
    ]


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
    pn, sn = snapshot.participant_numbers, snapshot.statement_numbers
    n_p, n_s = snapshot.n_participants, snapshot.n_statements
    events = snapshot.vote_events
    ev_p = np.array([e[0] for e in events], dtype=np.int64)
    ev_s = np.array([e[1] for e in events], dtype=np.int64)
    ev_v = np.array([e[2] for e in events], dtype=np.int64)
    ev_t = np.array([e[3] for e in events], dtype=np.float64)
    accepted = _accepted(snapshot)
    accepted_set = set(accepted)
    moderated_out = np.array([st != "accepted" for st in snapshot.statement_status], dtype=bool)
    meta = np.array(snapshot.statement_meta, dtype=bool)

    # --- groups (engine I: Pol.is) -------------------------------------------
    stages.begin("groups")
    polis_params = PolisParams()
    polis = analyze_votes(
        participant=ev_p,
        statement=ev_s,
        value=ev_v,
        n_participants=n_p,
        n_statements=n_s,
        time=ev_t if events else None,
        moderated_out=moderated_out,
        meta=meta,
        params=polis_params,
    )
    polis_dict = result_to_dict(polis, participant_ids=list(pn), statement_ids=list(sn))
    table = latest_votes(
        participant=ev_p,
        statement=ev_s,
        value=ev_v,
        time=ev_t if events else None,
        n_participants=n_p,
        n_statements=n_s,
    )

    # Groups are reported by position 0..k-1 (the engine's own ids may differ).
    position_of = {g["id"]: i for i, g in enumerate(polis_dict["groups"])}
    participants = {
        key: (position_of[g] if g is not None else None)
        for key, g in polis_dict["participants"].items()
    }
    groups = [
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

    # Vote counts per statement, everyone and per group (latest votes).
    agree = np.bincount(table.statement[table.value == 1], minlength=n_s)
    disagree = np.bincount(table.statement[table.value == -1], minlength=n_s)
    passes = np.bincount(table.statement[table.value == 0], minlength=n_s)
    group_of = polis.participant_group  # -1 = not grouped
    k = len(groups)
    g_agree = np.zeros((k, n_s), dtype=np.int64)
    g_disagree = np.zeros((k, n_s), dtype=np.int64)
    g_seen = np.zeros((k, n_s), dtype=np.int64)
    for g in range(k):
        in_g = group_of[table.participant] == g
        g_agree[g] = np.bincount(table.statement[in_g & (table.value == 1)], minlength=n_s)
        g_disagree[g] = np.bincount(table.statement[in_g & (table.value == -1)], minlength=n_s)
        g_seen[g] = np.bincount(table.statement[in_g], minlength=n_s)

    # --- bridging (engine II: matrix factorisation) ---------------------------
    stages.begin("bridging")
    bridging = fit_bridging(table, seed=SEED)

    # --- pairwise (engine II: Bradley-Terry over accepted statements) --------
    stages.begin("pairwise")
    sub = {s: i for i, s in enumerate(accepted)}
    winners: list[int] = []
    losers: list[int] = []
    undecided: list[tuple[int, int]] = []
    for _p, a, b, choice in snapshot.comparisons:
        if a not in sub or b not in sub:
            continue
        if choice == "a":
            winners.append(sub[a])
            losers.append(sub[b])
        elif choice == "b":
            winners.append(sub[b])
            losers.append(sub[a])
        else:
            undecided.append((sub[a], sub[b]))
    pairwise = (
        bradley_terry(
            np.array(winners, dtype=np.int64),
            np.array(losers, dtype=np.int64),
            len(accepted),
            undecided=np.array(undecided, dtype=np.int64).reshape(-1, 2),
        )
        if snapshot.comparisons
        else None
    )

    # --- rankings (ranked ballots) ---------------------------------------------
    stages.begin("rankings")
    ballots = [[sub[s] for s in ballot if s in sub] for _p, ballot in snapshot.rankings]
    ballots = [b for b in ballots if b]
    rankings: dict[str, Any] | None = None
    if ballots:
        rankings = _ranking_rules(ballots, [sn[j] for j in accepted])
    preference_pairs = tally_pairs(
        winners=np.array(winners, dtype=np.int64),
        losers=np.array(losers, dtype=np.int64),
        undecided=np.array(undecided, dtype=np.int64).reshape(-1, 2),
        ballots=ballots,
        n_items=len(accepted),
    )

    # --- bootstrap -------------------------------------------------------------
    # Uncertainty, then the classes judged on its intervals, then the
    # manipulation checks (all engine II); one "bootstrap" stage for the page.
    stages.begin("bootstrap")
    boot = bootstrap(
        table, groups=group_of, n_resamples=BOOTSTRAP_RESAMPLES, seed=SEED, bridging=bridging
    )
    boot = _with_wilson_rates(boot, agree, disagree, agree + disagree + passes)
    representative = {r.statement for g in polis.groups for r in g.representative}
    classes = classify_statements(
        boot, bridging=bridging, representative=representative, min_votes=min_voters
    )
    first_vote_s = np.zeros(n_p)
    if events:
        # Events are in time order: the first occurrence is each one's first vote.
        seen, first_at = np.unique(ev_p, return_index=True)
        first_vote_s[seen] = ev_t[first_at] / 1000.0
    anomalies = detect_anomalies(table, participant_time=first_vote_s, bridging=bridging)

    # --- shape the result ------------------------------------------------------
    statements: dict[str, Any] = {}
    bt_by_index = {accepted[i.statement]: i for i in pairwise.items} if pairwise else {}
    for j in range(n_s):
        total = int(agree[j] + disagree[j] + passes[j])
        bridge = bridging.statements[j]
        bt = bt_by_index.get(j)
        statements[str(sn[j])] = {
            "status": snapshot.statement_status[j],
            "meta": bool(meta[j]),
            "in_profile": j in accepted_set,
            "enough_votes": total >= min_voters,
            "votes": {
                "agree": int(agree[j]),
                "disagree": int(disagree[j]),
                "pass": int(passes[j]),
                "total": total,
            },
            "agree_rate": _round(agree[j] / total) if total else None,
            "agree_rate_interval": _interval(boot.statements[j].agree_rate),
            "group_aware_consensus": _round(polis_dict["group_aware_consensus"][str(sn[j])]),
            "group_aware_consensus_interval": _interval(boot.statements[j].group_consensus),
            "priority": _round(polis_dict["priorities"][str(sn[j])]),
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
            "classification": classes.statements[j].label if j in accepted_set else None,
            "classification_reason": classes.statements[j].reason if j in accepted_set else None,
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
                {
                    rule: positions[accepted.index(j)]
                    for rule, positions in rankings["positions"].items()
                }
                if rankings is not None and j in accepted_set
                else None
            ),
        }
    result: dict[str, Any] = {
        "schema": RESULT_SCHEMA,
        "engine_version": ENGINE_VERSION,
        "participants": participants,
        "groups": groups,
        "consensus": polis_dict["consensus"],
        "priorities": polis_dict["priorities"],
        "statements": statements,
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
        "preferences": [
            {
                "a": sn[accepted[t.low]],
                "b": sn[accepted[t.high]],
                "a_chosen": t.low_chosen,
                "b_chosen": t.high_chosen,
                "undecided": t.undecided,
                "a_ranked_higher": t.low_ranked_higher,
                "b_ranked_higher": t.high_ranked_higher,
            }
            for t in preference_pairs
        ],
        "uncertainty": {"resamples": boot.n_resamples, "level": boot.level, "seed": boot.seed},
        "classification": {"thresholds": classes.thresholds},
        "anomalies": _anomalies(anomalies, pn, sn),
        "segments": _segments(snapshot, table, accepted),
        "map": _opinion_map(polis_dict),
    }
    stages.end()
    counts = {
        "participants": n_p,
        "voters": int(np.unique(table.participant).size),
        "statements": len(accepted),
        "votes": table.n_votes,
        "comparisons": len(snapshot.comparisons),
        "rankings": len(snapshot.rankings),
    }
    parameters = {
        "seed": SEED,
        "polis": asdict(polis_params),
        "bridging": bridging.parameters,
        "pairwise": {"prior_sd": pairwise.prior_sd} if pairwise else None,
        "bootstrap": {"resamples": boot.n_resamples, "level": boot.level, "seed": boot.seed},
        "classification": classes.thresholds,
        "anomalies": anomalies.parameters,
        "min_segment_cell": MIN_CELL,
        "min_voters": min_voters,
        "agree_rate_interval": "wilson",
    }
    return AnalysisOutput(
        result=result, timings=stages.timings, parameters=parameters, counts=counts
    )


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


def _anomalies(anomalies: Any, pn: tuple[int, ...], sn: tuple[int, ...]) -> dict[str, Any]:
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
    latest = {
        (int(p), int(s)): int(v)
        for p, s, v in zip(table.participant, table.statement, table.value, strict=True)
    }
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
            rates: dict[str, float | None] = {}
            # Agree / disagree / pass counts, only where MIN_CELL members voted.
            distributions: dict[str, list[int]] = {}
            for j in accepted:
                values = [latest[(p, j)] for p in members if (p, j) in latest]
                number = str(snapshot.statement_numbers[j])
                if len(values) < MIN_CELL:
                    rates[number] = None
                    continue
                counted = [values.count(1), values.count(-1), values.count(0)]
                rates[number] = _round(counted[0] / len(values))
                distributions[number] = counted
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
