"""A stored analysis result, typed: the one reader of `AnalysisRun.result`.

Runs store the engine's output as JSON, and results stored by older engine
versions may lack keys or carry other shapes. `StoredResult.from_json` is the
one place that reads that JSON defensively: a missing or malformed part
becomes empty here, so its readers (the next statement to vote on, where you
stand, the map) handle typed data and never a `KeyError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _numbers(raw: Any) -> tuple[int, ...]:
    """A list of statement numbers; items that are not numbers are left out."""
    if not isinstance(raw, list):
        return ()
    return tuple(n for n in (_int(item) for item in raw) if n is not None)


@dataclass(frozen=True)
class GroupResult:
    """One opinion group: its position in the list, its id, size and representative statements."""

    index: int
    id: Any  # the engine's id (an int); the position when an older result has none
    size: int | None
    agree: tuple[int, ...]  # statement numbers this group agrees with, more than others
    disagree: tuple[int, ...]

    @classmethod
    def from_json(cls, index: int, raw: dict[str, Any]) -> GroupResult:
        agree: list[int] = []
        disagree: list[int] = []
        for rep in raw.get("representative") or []:
            if not isinstance(rep, dict):
                continue
            number = _int(rep.get("statement"))
            if number is None:
                continue
            (agree if rep.get("direction") == "agree" else disagree).append(number)
        return cls(
            index=index,
            id=raw.get("id", index),
            size=raw.get("size"),
            agree=tuple(agree),
            disagree=tuple(disagree),
        )


@dataclass(frozen=True)
class StoredResult:
    groups: tuple[GroupResult, ...] = ()
    # Participant number -> their group (its index, or its id in older results).
    participants: dict[int, Any] = field(default_factory=dict)
    # Has the result both groups and assignments (older or failed-clustering ones may not)?
    has_groups: bool = False
    priorities: dict[int, float] = field(default_factory=dict)
    consensus_agree: tuple[int, ...] = ()
    consensus_disagree: tuple[int, ...] = ()
    # The 2-D map: {"participants": {number: [x, y]}, "statements": ...}; {} when not stored.
    map: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: Any) -> StoredResult:
        """The typed result; an empty one for anything that is not a result object."""
        if not isinstance(raw, dict):
            return cls()
        groups_raw = raw.get("groups")
        assignments_raw = raw.get("participants")
        groups = tuple(
            GroupResult.from_json(index, group)
            for index, group in enumerate(groups_raw if isinstance(groups_raw, list) else [])
            if isinstance(group, dict)
        )
        participants: dict[int, Any] = {}
        if isinstance(assignments_raw, dict):
            for key, group in assignments_raw.items():
                number = _int(key)
                if number is not None:
                    participants[number] = group
        priorities: dict[int, float] = {}
        priorities_raw = raw.get("priorities")
        if isinstance(priorities_raw, dict):
            for key, value in priorities_raw.items():
                try:
                    priorities[int(key)] = float(value)
                except (TypeError, ValueError):
                    continue
        consensus = raw.get("consensus")
        consensus = consensus if isinstance(consensus, dict) else {}
        plane = raw.get("map")
        return cls(
            groups=groups,
            participants=participants,
            has_groups=isinstance(groups_raw, list) and isinstance(assignments_raw, dict),
            priorities=priorities,
            consensus_agree=_numbers(consensus.get("agree")),
            consensus_disagree=_numbers(consensus.get("disagree")),
            map=plane if isinstance(plane, dict) else {},
        )

    def group_of(self, participant_number: int) -> GroupResult | None:
        """The participant's group, matched by its index or, in older results, its id."""
        mine = self.participants.get(participant_number)
        if mine is None:
            return None
        return next((g for g in self.groups if mine in (g.index, g.id)), None)
