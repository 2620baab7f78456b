"""The typed reader of stored analysis results: old and malformed results read as empty parts."""

from __future__ import annotations

from typing import Any

import pytest

from aggregation.results import StoredResult


def test_a_current_result_reads_as_typed_groups_assignments_and_priorities() -> None:
    result = StoredResult.from_json(
        {
            "groups": [
                {
                    "id": 0,
                    "size": 3,
                    "representative": [
                        {"statement": 2, "direction": "agree"},
                        {"statement": "5", "direction": "disagree"},
                    ],
                },
                {"id": 1, "size": 2, "representative": []},
            ],
            "participants": {"0": 0, "1": 1, "7": 1},
            "priorities": {"2": 0.5, "5": "1.25"},
            "consensus": {"agree": [2, "x"], "disagree": [5]},
            "map": {"participants": {"0": [0.1, 0.2]}},
        }
    )
    assert result.has_groups
    assert [(g.id, g.size, g.agree, g.disagree) for g in result.groups] == [
        (0, 3, (2,), (5,)),
        (1, 2, (), ()),
    ]
    assert result.participants == {0: 0, 1: 1, 7: 1}
    group = result.group_of(7)
    assert group is not None
    assert group.index == 1
    assert result.group_of(99) is None
    assert result.priorities == {2: 0.5, 5: 1.25}
    assert (result.consensus_agree, result.consensus_disagree) == ((2,), (5,))
    assert result.map == {"participants": {"0": [0.1, 0.2]}}


@pytest.mark.parametrize(
    "raw",
    [None, [], "text", {}, {"groups": "no", "participants": [], "priorities": [1], "map": 3}],
)
def test_a_missing_or_malformed_result_reads_as_an_empty_one(raw: Any) -> None:
    result = StoredResult.from_json(raw)
    assert not result.has_groups
    assert result.groups == ()
    assert result.participants == {}
    assert result.priorities == {}
    assert result.map == {}


def test_an_older_result_without_group_ids_matches_participants_by_position() -> None:
    result = StoredResult.from_json(
        {"groups": [{"size": 4}, "junk", {"size": 1}], "participants": {"3": 2}}
    )
    assert [g.index for g in result.groups] == [0, 2]
    assert [g.id for g in result.groups] == [0, 2]
    group = result.group_of(3)
    assert group is not None
    assert group.size == 1
