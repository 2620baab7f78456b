"""Import then export the five real Pol.is conversations: nothing is lost or changed."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from elicitation import polis
from elicitation.models import Statement
from tests.elicitation.polis_files import read_folder
from tests.factories import CommunityFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db

CONVERSATIONS = [
    "15-per-hour-seattle",
    "bg2050-volunteers",
    "brexit-consensus",
    "scoop-hivemind.biodiversity",
    "vtaiwan.uberx",
]


def _dict_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _latest_votes(participants_votes: bytes) -> set[tuple[int, int, int]]:
    """(participant, comment, value) from a participants-votes.csv, read independently."""
    out = set()
    for row in _dict_rows(participants_votes):
        for column, cell in row.items():
            if column.isdigit() and cell.strip():
                out.add((int(row["participant"]), int(column), int(cell)))
    return out


def _comments(comments: bytes) -> dict[int, tuple[str, int]]:
    return {
        int(r["comment-id"]): (r["comment-body"].strip(), int(r["moderated"]))
        for r in _dict_rows(comments)
    }


def _history(votes: bytes) -> Counter[tuple[int, int, int, int]]:
    return Counter(
        (int(r["timestamp"]), int(r["comment-id"]), int(r["voter-id"]), int(r["vote"]))
        for r in _dict_rows(votes)
    )


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_import_then_export_gives_back_the_same_votes_comments_and_history(name: str) -> None:
    folder: Path = polis_folder(name)
    source = read_folder(folder)
    participants_votes, votes = source["participants_votes"], source["votes"]
    assert participants_votes is not None
    assert votes is not None
    community = CommunityFactory.create()

    space = polis.space_import_polis(community=community, actor=None, **source)
    exported = polis.polis_export_files(space=space)

    assert _latest_votes(exported[polis.PARTICIPANTS_VOTES]) == _latest_votes(participants_votes)
    assert _comments(exported[polis.COMMENTS]) == _comments(source["comments"])
    assert _history(exported[polis.VOTES]) == _history(votes)
    assert Statement.objects.filter(space=space).count() == len(_comments(source["comments"]))


# Re-importing every conversation would double the suite's slowest tests; these
# two cover pending and rejected comments, is-meta/is-seed and vote changes.
@pytest.mark.parametrize("name", ["15-per-hour-seattle", "bg2050-volunteers"])
def test_an_export_imports_back_into_a_space_that_exports_identically(name: str) -> None:
    community = CommunityFactory.create()
    space = polis.space_import_polis(
        community=community, actor=None, **read_folder(polis_folder(name))
    )
    exported = polis.polis_export_files(space=space)

    again = polis.space_import_polis(
        community=community,
        actor=None,
        comments=exported[polis.COMMENTS],
        votes=exported[polis.VOTES],
        participants_votes=exported[polis.PARTICIPANTS_VOTES],
        summary=exported[polis.SUMMARY],
        second_copy=True,  # the same conversation, on purpose
    )

    assert again.title == space.title
    assert polis.polis_export_files(space=again) == exported


def test_import_from_participants_votes_alone_gives_the_same_latest_votes() -> None:
    folder = polis_folder("brexit-consensus")
    source = read_folder(folder)
    participants_votes = source["participants_votes"]
    assert participants_votes is not None
    community = CommunityFactory.create()
    space = polis.space_import_polis(
        community=community,
        actor=None,
        comments=source["comments"],
        participants_votes=participants_votes,
    )
    exported = polis.polis_export_files(space=space)
    assert _latest_votes(exported[polis.PARTICIPANTS_VOTES]) == _latest_votes(participants_votes)
