"""The frozen input of one analysis run, in plain Python (no Django).

A selector (aggregation.selectors.snapshot_read) fills it from the database;
the analysis (aggregation.analysis) turns it into engine arrays. Everything
is keyed by dense indices whose mapping back to per-space participant and
statement NUMBERS is kept here; database ids never enter a snapshot, so they
cannot leak into results or exports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Snapshot:
    # Dense index -> per-space number, both sorted ascending.
    participant_numbers: tuple[int, ...]
    statement_numbers: tuple[int, ...]
    # Per statement (same order): moderation status and the meta flag.
    statement_status: tuple[str, ...]
    statement_meta: tuple[bool, ...]
    # The vote history (VoteEvent rows, plus latest votes that have no event,
    # e.g. imported ones), ordered by time: (participant, statement, value, time_ms).
    vote_events: tuple[tuple[int, int, int, int], ...]
    # Pairwise answers: (participant, statement a, statement b, choice "a"|"b"|"neither").
    comparisons: tuple[tuple[int, int, int, str], ...]
    # Ranked ballots: (participant, (statement, ...)) best first.
    rankings: tuple[tuple[int, tuple[int, ...]], ...]
    # Optional self-reported segments: question label -> choice -> participant indices.
    segments: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)

    @property
    def n_participants(self) -> int:
        return len(self.participant_numbers)

    @property
    def n_statements(self) -> int:
        return len(self.statement_numbers)

    def latest_votes(self) -> dict[tuple[int, int], int]:
        """(participant, statement) -> the latest value (the events are in time order)."""
        latest: dict[tuple[int, int], int] = {}
        for p, s, v, _t in self.vote_events:
            latest[(p, s)] = v
        return latest

    def canonical(self) -> dict[str, Any]:
        """Everything the analysis reads, keyed by numbers, in a stable order."""
        pn, sn = self.participant_numbers, self.statement_numbers
        return {
            "statements": [
                [sn[i], self.statement_status[i], self.statement_meta[i]]
                for i in range(self.n_statements)
            ],
            "participants": list(pn),
            "votes": [[pn[p], sn[s], v, t] for p, s, v, t in self.vote_events],
            "comparisons": sorted([pn[p], sn[a], sn[b], c] for p, a, b, c in self.comparisons),
            "rankings": sorted([pn[p], [sn[s] for s in ballot]] for p, ballot in self.rankings),
            "segments": {
                q: {c: sorted(pn[p] for p in members) for c, members in sorted(choices.items())}
                for q, choices in sorted(self.segments.items())
            },
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical input: equal fingerprints, equal inputs."""
        data = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(data.encode()).hexdigest()
