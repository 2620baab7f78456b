"""Classification of each statement for the value profile.

Classes: consensus | bridging | divisive | group-defining | uncertain.

The rule. Every test below is judged on the statement's 95% bootstrap
intervals and answers yes, no or unsure: yes when the whole interval lies on
the passing side of the threshold, no when the whole interval lies on the
failing side, unsure when the interval straddles the threshold. Conditions
joined by "and" answer yes only if all are yes and no if any is no; joined by
"or", yes if any is yes and no only if all are no; otherwise unsure.

The tests are taken in order. The first test that answers yes gives the
class. If a test answers unsure before any has answered yes, the statement
is "uncertain": the data cannot place it on one side of that threshold.

0. Too few votes: fewer than MIN_VOTES votes (passes included; a space
   sets its own minimum) -> uncertain.
1. consensus: (agree rate >= CONSENSUS_RATE and group-aware consensus per
   group >= CONSENSUS_PER_GROUP) or the same two conditions for disagree
   rate and disagree consensus (a shared rejection; direction "disagree").
   "Per group" is the G-th root of Pol.is's group-aware consensus over G
   groups (a geometric mean of (A_g + 1) / (S_g + 2)), so the threshold does
   not depend on the number of groups. Without groups, the rate alone.
2. bridging: at least MIN_RATERS agree/disagree raters (otherwise no), and
   bridging score >= BRIDGING_MIN_INTERCEPT and |factor| <
   BRIDGING_MAX_ABS_FACTOR (the factor interval inside (-0.5, 0.5)): the
   Community Notes rule, applied to the intervals.
3. divisive: spread of the per-group agree rates (largest minus smallest)
   >= DIVISIVE_SPREAD, or |factor| >= BRIDGING_MAX_ABS_FACTOR (the
   statement sits on the one-dimensional divide).
4. group-defining: among some group's representative statements (Pol.is
   repness, which applies its own significance test; no interval here).
5. Otherwise: uncertain (no class fits clearly).

Consensus comes before bridging: a statement nearly everyone endorses is
also bridging, and "consensus" is the stronger, plainer claim.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from aggregation.engine.bridging import (
    BRIDGING_MAX_ABS_FACTOR,
    BRIDGING_MIN_INTERCEPT,
    BridgingResult,
)
from aggregation.engine.uncertainty import BootstrapResult, Interval, StatementUncertainty
from aggregation.engine.votes import EngineInputError

MIN_VOTES = 5
CONSENSUS_RATE = 0.6
CONSENSUS_PER_GROUP = 0.5
DIVISIVE_SPREAD = 0.3

Label = Literal["consensus", "bridging", "divisive", "group-defining", "uncertain"]
Answer = Literal["yes", "no", "unsure"]


def at_least(interval: Interval, threshold: float) -> Answer:
    if interval.low >= threshold:
        return "yes"
    if interval.high < threshold:
        return "no"
    return "unsure"


def abs_below(interval: Interval, threshold: float) -> Answer:
    """|x| < threshold over the whole interval."""
    if -threshold < interval.low and interval.high < threshold:
        return "yes"
    if interval.low >= threshold or interval.high <= -threshold:
        return "no"
    return "unsure"


def negate(answer: Answer) -> Answer:
    return {"yes": "no", "no": "yes", "unsure": "unsure"}[answer]  # type: ignore[return-value]


def all_of(*answers: Answer) -> Answer:
    if "no" in answers:
        return "no"
    return "yes" if all(a == "yes" for a in answers) else "unsure"


def any_of(*answers: Answer) -> Answer:
    if "yes" in answers:
        return "yes"
    return "no" if all(a == "no" for a in answers) else "unsure"


def _per_group(interval: Interval, n_groups: int) -> Interval:
    root = 1.0 / n_groups
    return Interval(interval.value**root, interval.low**root, interval.high**root)


@dataclass(frozen=True)
class StatementClass:
    statement: int
    label: Label
    direction: Literal["agree", "disagree"] | None
    reason: str
    tests: dict[str, Answer]

    def to_dict(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "classification": self.label,
            "direction": self.direction,
            "reason": self.reason,
            "tests": dict(self.tests),
        }


@dataclass(frozen=True)
class ClassificationResult:
    statements: tuple[StatementClass, ...]
    thresholds: dict[str, float]

    def labels(self) -> list[Label]:
        return [s.label for s in self.statements]

    def to_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(self.thresholds),
            "statements": [s.to_dict() for s in self.statements],
        }


def _consensus(
    s: StatementUncertainty, n_groups: int
) -> tuple[Answer, Literal["agree", "disagree"] | None]:
    def side(rate: Interval, gac: Interval | None) -> Answer:
        parts = [at_least(rate, CONSENSUS_RATE)]
        if gac is not None and n_groups > 0:
            parts.append(at_least(_per_group(gac, n_groups), CONSENSUS_PER_GROUP))
        return all_of(*parts)

    agree = side(s.agree_rate, s.group_consensus)
    disagree = side(s.disagree_rate, s.group_consensus_disagree)
    direction: Literal["agree", "disagree"] | None = None
    if agree == "yes":
        direction = "agree"
    elif disagree == "yes":
        direction = "disagree"
    return any_of(agree, disagree), direction


def _classify_one(
    s: StatementUncertainty,
    status: str | None,
    n_groups: int,
    representative: bool,
    min_votes: int,
) -> StatementClass:
    tests: dict[str, Answer] = {}

    def result(
        label: Label, reason: str, direction: Literal["agree", "disagree"] | None = None
    ) -> StatementClass:
        return StatementClass(s.statement, label, direction, reason, dict(tests))

    if s.n_votes < min_votes:
        return result("uncertain", f"fewer than {min_votes} votes")

    consensus, direction = _consensus(s, n_groups)
    tests["consensus"] = consensus
    if consensus == "yes":
        return result("consensus", f"broad {direction} overall and in every group", direction)
    if consensus == "unsure":
        return result("uncertain", "its interval straddles a consensus threshold")

    score, factor = s.bridging_score, s.bridging_factor
    if score is None or factor is None or status == "too_few_ratings":
        tests["bridging"] = "no"
    else:
        tests["bridging"] = all_of(
            at_least(score, BRIDGING_MIN_INTERCEPT), abs_below(factor, BRIDGING_MAX_ABS_FACTOR)
        )
    if tests["bridging"] == "yes":
        return result("bridging", "support across the divide (Community Notes intercept)")
    if tests["bridging"] == "unsure":
        return result("uncertain", "its interval straddles a bridging threshold")

    divisive_parts = []
    if s.group_spread is not None:
        divisive_parts.append(at_least(s.group_spread, DIVISIVE_SPREAD))
    if factor is not None:
        divisive_parts.append(negate(abs_below(factor, BRIDGING_MAX_ABS_FACTOR)))
    tests["divisive"] = any_of(*divisive_parts) if divisive_parts else "no"
    if tests["divisive"] == "yes":
        return result("divisive", "groups or the divide split on it")
    if tests["divisive"] == "unsure":
        return result("uncertain", "its interval straddles a divisiveness threshold")

    tests["group_defining"] = "yes" if representative else "no"
    if representative:
        return result("group-defining", "representative of an opinion group")
    return result("uncertain", "no class fits clearly")


def classify_statements(
    uncertainty: BootstrapResult,
    *,
    bridging: BridgingResult | None = None,
    representative: Collection[int] = (),
    min_votes: int = MIN_VOTES,
) -> ClassificationResult:
    """Classify every statement by the rule in the module docstring.

    `uncertainty` comes from uncertainty.bootstrap (with groups for the
    group tests, with bridging for the bridging tests); `bridging` gives the
    Community Notes statuses (without it the rater minimum is not checked);
    `representative` holds the statements representative of some group;
    statements with fewer than `min_votes` votes are uncertain.
    """
    if min_votes < 1:
        raise EngineInputError(f"min_votes must be at least 1, not {min_votes}")
    if bridging is not None and len(bridging.statements) != len(uncertainty.statements):
        raise EngineInputError("bridging and uncertainty results cover different statements")
    reps = set(int(r) for r in representative)
    statuses: list[str | None] = (
        [b.status for b in bridging.statements]
        if bridging is not None
        else [None] * len(uncertainty.statements)
    )
    return ClassificationResult(
        statements=tuple(
            _classify_one(s, status, uncertainty.n_groups, s.statement in reps, min_votes)
            for s, status in zip(uncertainty.statements, statuses, strict=True)
        ),
        thresholds={
            "min_votes": min_votes,
            "consensus_rate": CONSENSUS_RATE,
            "consensus_per_group": CONSENSUS_PER_GROUP,
            "bridging_min_intercept": BRIDGING_MIN_INTERCEPT,
            "bridging_max_abs_factor": BRIDGING_MAX_ABS_FACTOR,
            "divisive_spread": DIVISIVE_SPREAD,
        },
    )
