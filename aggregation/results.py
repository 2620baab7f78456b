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


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _dicts(raw: Any) -> tuple[dict[str, Any], ...]:
    """A list of objects; anything else in it is left out."""
    if not isinstance(raw, list):
        return ()
    return tuple(item for item in raw if isinstance(item, dict))


@dataclass(frozen=True)
class GroupResult:
    """One opinion group: its position in the list, its id, size and representative statements."""

    index: int
    id: Any  # the engine's id (an int); the position when an older result has none
    size: int | None
    agree: tuple[int, ...]  # statement numbers this group agrees with, more than others
    disagree: tuple[int, ...]
    # The representative statements in the engine's order (most representative
    # first): {"statement": number, "direction": "agree"|"disagree", ...}.
    representative: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, index: int, raw: dict[str, Any]) -> GroupResult:
        agree: list[int] = []
        disagree: list[int] = []
        representative: list[dict[str, Any]] = []
        for rep in _dicts(raw.get("representative")):
            number = _int(rep.get("statement"))
            if number is None:
                continue
            (agree if rep.get("direction") == "agree" else disagree).append(number)
            representative.append({**rep, "statement": number})
        return cls(
            index=index,
            id=raw.get("id", index),
            size=raw.get("size"),
            agree=tuple(agree),
            disagree=tuple(disagree),
            representative=tuple(representative),
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
    # Statement number -> its entry (rates, classification, per-group counts, bridging...).
    statements: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The engine's sections, each {} (or ()) when the result has none.
    opinion_groups: dict[str, Any] = field(default_factory=dict)  # clustered, reason
    bridging: dict[str, Any] = field(default_factory=dict)  # note
    pairwise: dict[str, Any] = field(default_factory=dict)  # comparisons, undecided, note
    rankings: dict[str, Any] = field(default_factory=dict)  # ballots, winners, refused...
    segments: tuple[dict[str, Any], ...] = ()
    preferences: tuple[dict[str, Any], ...] = ()
    summaries: dict[str, Any] = field(default_factory=dict)  # space, groups, topics, abstractive
    topics: dict[str, Any] = field(default_factory=dict)  # items
    # Statements still being embedded when the run found topics (none: 0).
    topics_pending: int = 0

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
        consensus = _dict(raw.get("consensus"))
        statements: dict[int, dict[str, Any]] = {}
        for key, entry in _dict(raw.get("statements")).items():
            number = _int(key)
            if number is not None and isinstance(entry, dict):
                statements[number] = entry
        plane = raw.get("map")
        return cls(
            groups=groups,
            participants=participants,
            has_groups=isinstance(groups_raw, list) and isinstance(assignments_raw, dict),
            priorities=priorities,
            consensus_agree=_numbers(consensus.get("agree")),
            consensus_disagree=_numbers(consensus.get("disagree")),
            map=plane if isinstance(plane, dict) else {},
            statements=statements,
            opinion_groups=_dict(raw.get("opinion_groups")),
            bridging=_dict(raw.get("bridging")),
            pairwise=_dict(raw.get("pairwise")),
            rankings=_dict(raw.get("rankings")),
            segments=_dicts(raw.get("segments")),
            preferences=_dicts(raw.get("preferences")),
            summaries=_dict(raw.get("summaries")),
            topics=_dict(raw.get("topics")),
            topics_pending=_int(raw.get("topics_pending")) or 0,
        )

    def in_profile(self) -> list[int]:
        """The numbers of the statements the profile lists, in order."""
        return sorted(n for n, entry in self.statements.items() if entry.get("in_profile"))

    def group_of(self, participant_number: int) -> GroupResult | None:
        """The participant's group, matched by its index or, in older results, its id."""
        mine = self.participants.get(participant_number)
        if mine is None:
            return None
        return next((g for g in self.groups if mine in (g.index, g.id)), None)
