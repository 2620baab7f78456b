"""The vote table every analysis starts from.

Values follow the export convention: agree = +1, disagree = -1, pass = 0.
(Pol.is flips the sign internally; modules that reproduce its maths do that
themselves.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

AGREE = 1
DISAGREE = -1
PASS = 0


class EngineInputError(ValueError):
    """Input the engine cannot use; the message names what is wrong."""


@dataclass(frozen=True)
class VoteTable:
    """Latest votes as coordinate arrays: one row per (participant, statement).

    Indices are dense positions 0..n-1; the caller keeps the mapping back to
    its own ids.
    """

    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    value: NDArray[np.int8]
    n_participants: int
    n_statements: int

    @property
    def n_votes(self) -> int:
        return int(self.value.shape[0])


def _occurrence(key: NDArray[np.int64], *, last: bool) -> NDArray[np.int64]:
    """Position of the first (or last) occurrence of each distinct key, ascending by key.

    Hand-written for speed: key and position are packed into one int64 and
    sorted with np.sort (SIMD on int64), then the ends of each run of equal
    keys are read off. On 1M keys this took 9 ms against 345 ms for
    np.unique(..., return_index=True), whose stable argsort dominated the
    engine's vote stage (measured on the loaded 2-core machine).
    """
    n = key.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pos_bits = max(1, (n - 1).bit_length())
    lo, hi = int(key.min()), int(key.max())
    if lo < 0 or hi.bit_length() + pos_bits > 62:
        if last:
            _, first_in_rev = np.unique(key[::-1], return_index=True)
            return (n - 1 - first_in_rev).astype(np.int64)
        _, first = np.unique(key, return_index=True)
        return first.astype(np.int64)
    packed = np.sort((key.astype(np.int64) << pos_bits) | np.arange(n, dtype=np.int64))
    keys = packed >> pos_bits
    change = np.flatnonzero(keys[1:] != keys[:-1])
    at = np.r_[change, n - 1] if last else np.r_[0, change + 1]
    return np.asarray(packed[at] & ((1 << pos_bits) - 1), dtype=np.int64)


def first_occurrence(key: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of the first occurrence of each distinct key (as np.unique's return_index)."""
    return _occurrence(key, last=False)


def last_occurrence(key: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of the last occurrence of each distinct key, ascending by key."""
    return _occurrence(key, last=True)


def latest_votes(
    *,
    participant: NDArray[np.integer],
    statement: NDArray[np.integer],
    value: NDArray[np.integer],
    time: NDArray[np.floating] | NDArray[np.integer] | None,
    n_participants: int,
    n_statements: int,
) -> VoteTable:
    """Keep each participant's latest vote per statement.

    With `time` given, the latest is the greatest time (ties: the later row);
    without it, the later row wins. Raises EngineInputError on values other
    than -1, 0, 1 or indices out of range.
    """
    p = np.asarray(participant, dtype=np.int64)
    s = np.asarray(statement, dtype=np.int64)
    v = np.asarray(value, dtype=np.int64)
    if not (p.shape == s.shape == v.shape) or p.ndim != 1:
        raise EngineInputError("participant, statement and value must be 1-D arrays of one length")
    if p.size and (p.min() < 0 or p.max() >= n_participants):
        raise EngineInputError("participant index out of range")
    if s.size and (s.min() < 0 or s.max() >= n_statements):
        raise EngineInputError("statement index out of range")
    bad = ~np.isin(v, (-1, 0, 1))
    if bad.any():
        raise EngineInputError(f"vote value {int(v[bad][0])} is not one of -1, 0, 1")
    order = np.arange(p.size)
    if time is not None:
        t = np.asarray(time)
        if t.shape != p.shape:
            raise EngineInputError("time must have one entry per vote")
        # Stable sort by time keeps file order among equal timestamps; input that
        # is already in time order (the usual case from a database) skips the sort.
        if not np.all(t[1:] >= t[:-1]):
            order = np.argsort(t, kind="stable")
    key = p[order] * n_statements + s[order]
    # Last occurrence of each key in time order = the latest vote.
    keep = order[last_occurrence(key)]
    keep.sort()
    return VoteTable(
        participant=p[keep],
        statement=s[keep],
        value=v[keep].astype(np.int8),
        n_participants=int(n_participants),
        n_statements=int(n_statements),
    )
