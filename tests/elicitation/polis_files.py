"""Small hand-written Pol.is export files for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Required, TypedDict

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from communities.models import Community
from elicitation import polis

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
    header: list[object] = list(COMMENTS_HEADER)
    return [
        header,
        [1600000000000, "", 0, 0, 1, 1, 1, "false", "true", "Rivers should stay clean."],
        [1600000001000, "", 1, 1, 0, 1, -1, "false", "false", "Buy my product!"],
        [1600000002000, "", 2, 2, 0, 0, 0, "true", "false", 'Line one\nline two, "quoted"'],
    ]


def votes_rows() -> list[list[object]]:
    header: list[object] = list(VOTES_HEADER)
    return [
        header,
        [1600000010000, "", 0, 0, 1],
        [1600000011000, "", 0, 1, -1],
        [1600000012000, "", 1, 0, 0],
        # participant 1 changes their mind on comment 0: the later vote counts
        [1600000020000, "", 0, 1, 1],
        # participant 3 only votes, never comments
        [1600000013000, "", 2, 3, -1],
    ]


class Files(TypedDict, total=False):
    """Export files as bytes, as space_import_polis keyword arguments."""

    comments: Required[bytes]
    votes: bytes | None
    participants_votes: bytes | None
    summary: bytes | None


def good_files() -> Files:
    return {"comments": csv_bytes(comments_rows()), "votes": csv_bytes(votes_rows())}


def read_folder(folder: Path) -> Files:
    """An export folder as service keyword arguments (absent files are None)."""

    def read(name: str) -> bytes | None:
        return (folder / name).read_bytes() if (folder / name).exists() else None

    return {
        "comments": (folder / polis.COMMENTS).read_bytes(),
        "votes": read(polis.VOTES),
        "participants_votes": read(polis.PARTICIPANTS_VOTES),
        "summary": read(polis.SUMMARY),
    }


def post_good_files(client: Client, community: Community, **headers: Any) -> Any:
    """The upload form posted with good_files(); the response."""
    files = good_files()
    return client.post(
        reverse("elicitation:polis_import", kwargs={"slug": community.slug}),
        {
            "comments": SimpleUploadedFile("comments.csv", files["comments"]),
            "votes": SimpleUploadedFile("votes.csv", files["votes"] or b""),
        },
        **headers,
    )
