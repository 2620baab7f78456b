"""The frozen input of one analysis run, as NumPy columns (no Django).

A selector (aggregation.selectors.snapshot_read) fills it from the database
without a Python object per vote; the analysis (aggregation.analysis) hands
the columns to the engines. Everything is keyed by dense indices whose
mapping back to per-space participant and statement NUMBERS is kept here;
database ids never enter a snapshot, so they cannot leak into results or
exports.

The fingerprint is a sha256 over the columns' bytes in a canonical order
(see `fingerprint`), so equal inputs give equal fingerprints whichever
database they were read from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FINGERPRINT_VERSION = b"polyphony-snapshot/2"
# Comparison choices as stored in `comparison_choice`.
CHOICES = ("a", "b", "neither")


def _empty(dtype: type[np.generic]) -> NDArray[Any]:
    return np.zeros(0, dtype=dtype)


# Arrays make == element-wise, hence eq=False.
@dataclass(frozen=True, eq=False)
class Snapshot:
    # Dense index -> per-space number, both sorted ascending.
    participant_numbers: NDArray[np.int64]
    statement_numbers: NDArray[np.int64]
    # Per statement (same order): moderation status and the meta flag.
    statement_status: tuple[str, ...]
    statement_meta: NDArray[np.bool_]
    # The vote history (VoteEvent rows, plus latest votes that have no
    # matching event, e.g. imported ones), one entry per vote, in time order:
    # participant and statement indices, value (1, -1, 0), epoch milliseconds.
    vote_participant: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    vote_statement: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    vote_value: NDArray[np.int8] = field(default_factory=lambda: _empty(np.int8))
    vote_time_ms: NDArray[np.int64] = field(default_factory=lambda: _empty(np.int64))
    # Pairwise answers in the order they were given; choice indexes CHOICES.
    comparison_participant: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    comparison_a: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    comparison_b: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    comparison_choice: NDArray[np.int8] = field(default_factory=lambda: _empty(np.int8))
    # Ranked ballots, by participant index: ballot i is the statements
    # ballot_statements[ballot_start[i]:ballot_start[i + 1]], best first.
    ballot_participant: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    ballot_start: NDArray[np.int64] = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    ballot_statements: NDArray[np.int32] = field(default_factory=lambda: _empty(np.int32))
    # Optional self-reported segments: question label -> choice -> participant indices (sorted).
    segments: dict[str, dict[str, NDArray[np.int32]]] = field(default_factory=dict)

    @property
    def n_participants(self) -> int:
        return int(self.participant_numbers.shape[0])

    @property
    def n_statements(self) -> int:
        return int(self.statement_numbers.shape[0])

    @property
    def n_vote_events(self) -> int:
        return int(self.vote_value.shape[0])

    @property
    def n_comparisons(self) -> int:
        return int(self.comparison_choice.shape[0])

    @property
    def n_ballots(self) -> int:
        return int(self.ballot_participant.shape[0])

    def ballots(self) -> Iterator[tuple[int, list[int]]]:
        """(participant index, statement indices best first) per ballot."""
        start = self.ballot_start.tolist()
        statements = self.ballot_statements.tolist()
        for i, participant in enumerate(self.ballot_participant.tolist()):
            yield participant, statements[start[i] : start[i + 1]]

    def latest_votes(self) -> dict[tuple[int, int], int]:
        """(participant, statement) -> the latest value (the events are in time order)."""
        return dict(
            zip(
                zip(self.vote_participant.tolist(), self.vote_statement.tolist(), strict=True),
                self.vote_value.tolist(),
                strict=True,
            )
        )

    def fingerprint(self) -> str:
        """sha256 of the input in a canonical order: equal fingerprints, equal inputs.

        What is hashed, each part as its length then its bytes: the version
        tag; participant and statement numbers (int64 little-endian); the
        statements' statuses (UTF-8, one per line) and meta flags (one byte
        each); the votes in time order as participant NUMBER, statement
        NUMBER (int64), value (int8) and epoch milliseconds (int64); the
        comparisons sorted by (participant, a, b, choice) in numbers with the
        choice as its index in CHOICES; the ballots sorted by participant,
        each as participant number, length, statement numbers; the segments
        sorted by question and choice, each as both labels in UTF-8 and the
        sorted participant numbers. A database's row ids never enter it, so
        the same input in SQLite and PostgreSQL hashes alike.
        """
        digest = hashlib.sha256()

        def part(data: bytes | NDArray[Any]) -> None:
            raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
            digest.update(len(raw).to_bytes(8, "little"))
            digest.update(raw)

        def i8(a: ArrayLike) -> NDArray[np.int64]:
            return np.asarray(a, dtype="<i8")

        pn, sn = i8(self.participant_numbers), i8(self.statement_numbers)
        part(FINGERPRINT_VERSION)
        part(pn)
        part(sn)
        part("\n".join(self.statement_status).encode())
        part(np.asarray(self.statement_meta, dtype=np.uint8))
        part(pn[self.vote_participant])
        part(sn[self.vote_statement])
        part(np.asarray(self.vote_value, dtype=np.int8))
        part(i8(self.vote_time_ms))
        cp, ca = pn[self.comparison_participant], sn[self.comparison_a]
        cb, cc = sn[self.comparison_b], i8(self.comparison_choice)
        order = np.lexsort((cc, cb, ca, cp))
        for column in (cp, ca, cb, cc):
            part(column[order])
        lengths = np.diff(self.ballot_start)
        by_number = np.argsort(pn[self.ballot_participant], kind="stable")
        for i in by_number.tolist():
            start, end = int(self.ballot_start[i]), int(self.ballot_start[i + 1])
            part(i8([pn[self.ballot_participant[i]], lengths[i]]))
            part(sn[self.ballot_statements[start:end]])
        for question in sorted(self.segments):
            for choice in sorted(self.segments[question]):
                part(question.encode())
                part(choice.encode())
                part(np.sort(pn[self.segments[question][choice]]))
        return digest.hexdigest()
