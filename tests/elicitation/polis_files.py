"""Small hand-written Pol.is export files for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from elicitation import polis_io

COMMENTS_HEADER = [
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "is-meta",
    "is-seed",
    "comment-body",
]
VOTES_HEADER = ["timestamp", "datetime", "comment-id", "voter-id", "vote"]


def csv_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def comments_rows() -> list[list[object]]:
    return [
        COMMENTS_HEADER,
        [1600000000000, "", 0, 0, 1, 1, 1, "false", "true", "Rivers should stay clean."],
        [1600000001000, "", 1, 1, 0, 1, -1, "false", "false", "Buy my product!"],
        [1600000002000, "", 2, 2, 0, 0, 0, "true", "false", 'Line one\nline two, "quoted"'],
    ]


def votes_rows() -> list[list[object]]:
    return [
        VOTES_HEADER,
        [1600000010000, "", 0, 0, 1],
        [1600000011000, "", 0, 1, -1],
        [1600000012000, "", 1, 0, 0],
        # participant 1 changes their mind on comment 0: the later vote counts
        [1600000020000, "", 0, 1, 1],
        # participant 3 only votes, never comments
        [1600000013000, "", 2, 3, -1],
    ]


def good_files() -> dict[str, bytes]:
    return {"comments": csv_bytes(comments_rows()), "votes": csv_bytes(votes_rows())}


def read_folder(folder: Path) -> dict[str, bytes]:
    """An export folder as service keyword arguments (files that exist)."""
    names = {
        "comments": polis_io.COMMENTS,
        "votes": polis_io.VOTES,
        "participants_votes": polis_io.PARTICIPANTS_VOTES,
        "summary": polis_io.SUMMARY,
    }
    return {
        key: (folder / name).read_bytes() for key, name in names.items() if (folder / name).exists()
    }
