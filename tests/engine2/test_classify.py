from __future__ import annotations

import json

import numpy as np
import pytest

from aggregation.engine.bridging import fit_bridging
from aggregation.engine.classify import (
    CONSENSUS_RATE,
    DIVISIVE_SPREAD,
    at_least,
    classify_statements,
)
from aggregation.engine.uncertainty import (
    BootstrapResult,
    Interval,
    StatementUncertainty,
    bootstrap,
)
from tests.engine2.synthetic import BRIDGING, DIVISIVE, planted_population


def statement(
    *,
    agree: tuple[float, float, float] = (0.3, 0.25, 0.35),
    disagree: tuple[float, float, float] = (0.3, 0.25, 0.35),
    spread: tuple[float, float, float] = (0.1, 0.05, 0.15),
    score: tuple[float, float, float] = (0.1, 0.05, 0.15),
    factor: tuple[float, float, float] = (0.1, 0.0, 0.2),
    n_votes: int = 100,
) -> StatementUncertainty:
    def iv(t: tuple[float, float, float]) -> Interval:
        return Interval(*t)

    return StatementUncertainty(
        statement=0,
        n_votes=n_votes,
        agree_rate=iv(agree),
        disagree_rate=iv(disagree),
        group_consensus=iv(tuple(x * x for x in agree)),  # type: ignore[arg-type]
        group_consensus_disagree=iv(tuple(x * x for x in disagree)),  # type: ignore[arg-type]
        group_agree_rates=(agree[0], agree[0]),
        group_spread=iv(spread),
        bridging_score=iv(score),
        bridging_factor=iv(factor),
    )


def classify_one(s: StatementUncertainty, representative: bool = False) -> tuple[str, str]:
    boot = BootstrapResult(statements=(s,), n_resamples=1, seed=0, level=0.95, n_groups=2)
    c = classify_statements(boot, representative={0} if representative else set()).statements[0]
    return c.label, c.reason


def test_the_answer_is_unsure_when_the_interval_straddles_the_threshold() -> None:
    assert at_least(Interval(0.7, 0.65, 0.75), CONSENSUS_RATE) == "yes"
    assert at_least(Interval(0.5, 0.45, 0.55), CONSENSUS_RATE) == "no"
    assert at_least(Interval(0.6, 0.55, 0.65), CONSENSUS_RATE) == "unsure"


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [
        ({"agree": (0.8, 0.75, 0.85)}, "consensus"),
        ({"disagree": (0.8, 0.75, 0.85)}, "consensus"),
        ({"agree": (0.62, 0.55, 0.7)}, "uncertain"),
        ({"score": (0.5, 0.45, 0.55)}, "bridging"),
        ({"score": (0.45, 0.35, 0.55)}, "uncertain"),
        ({"score": (0.5, 0.45, 0.55), "factor": (0.7, 0.6, 0.8)}, "divisive"),
        ({"spread": (0.6, 0.5, 0.7)}, "divisive"),
        ({"spread": (DIVISIVE_SPREAD, 0.2, 0.4)}, "uncertain"),
        ({"factor": (-0.6, -0.7, -0.45)}, "uncertain"),
        ({"n_votes": 3, "agree": (0.9, 0.85, 0.95)}, "uncertain"),
        ({}, "uncertain"),
    ],
)
def test_the_rule_on_hand_made_intervals(kwargs: dict[str, object], label: str) -> None:
    assert classify_one(statement(**kwargs))[0] == label  # type: ignore[arg-type]


def test_a_representative_statement_with_no_other_class_is_group_defining() -> None:
    assert classify_one(statement(), representative=True)[0] == "group-defining"
    # Divisiveness wins over group membership.
    assert classify_one(statement(spread=(0.6, 0.5, 0.7)), representative=True)[0] == "divisive"


def test_planted_population_classes() -> None:
    pop = planted_population(n_participants=600, n_statements=50, seed=21)
    full = fit_bridging(pop.table)
    boot = bootstrap(pop.table, groups=pop.camp, n_resamples=100, bridging=full)
    result = classify_statements(boot, bridging=full)
    labels = np.array(result.labels())
    json.dumps(result.to_dict(), allow_nan=False)
    # Everyone agrees with the planted "bridging" statements: consensus.
    assert np.mean(labels[pop.kind == BRIDGING] == "consensus") >= 0.9
    assert np.mean(labels[pop.kind == DIVISIVE] == "divisive") >= 0.9
    assert not np.any(np.isin(labels[pop.kind == DIVISIVE], ["consensus", "bridging"]))
