"""The one Pol.is parser: streams, blocks, the first problem in file order."""

from __future__ import annotations

import io

import numpy as np
import pytest

from aggregation.engine import polis_csv
from aggregation.engine.polis_csv import PolisFormatError, polis_parse

COMMENTS = (
    b"timestamp,comment-id,author-id,moderated,comment-body\n"
    b'1,0,,1,"First, with a comma"\n'
    b'2,1,7,1,"Second\nspans two lines"\n'
    b"3,2,,-1,Third\n"
)


def votes_csv(rows: list[str]) -> bytes:
    return ("timestamp,comment-id,voter-id,vote\n" + "".join(r + "\n" for r in rows)).encode()


def test_a_stream_reads_as_its_bytes_do_and_is_left_open() -> None:
    votes = votes_csv(["10,0,1,1", "11,1,2,-1", "12,2,1,0"])
    stream = io.BytesIO(votes)
    from_stream = polis_parse(comments=io.BytesIO(COMMENTS), votes=stream)
    from_bytes = polis_parse(comments=COMMENTS, votes=votes)
    assert not stream.closed
    for name in ("participant", "comment", "value", "timestamp_ms"):
        assert np.array_equal(getattr(from_stream.votes, name), getattr(from_bytes.votes, name))
    assert from_bytes.comments.text[1] == "Second\nspans two lines"
    assert from_bytes.participants.tolist() == [1, 2, 7]


def test_line_numbers_stay_right_across_blocks_and_multi_line_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polis_csv, "BLOCK_ROWS", 2)
    comments = COMMENTS + b'4,3,,1,"Fourth\n\nthree lines"\n5,4,,1,Fifth\n5,x,,1,Sixth\n'
    with pytest.raises(PolisFormatError) as caught:
        polis_parse(comments=comments, votes=votes_csv([]))
    # Header 1, rows from 2: the multi-line texts push "x" down to line 10.
    assert (caught.value.line, caught.value.column) == (10, "2 (comment-id)")


def test_the_first_problem_in_the_file_is_reported_whatever_its_column() -> None:
    # Line 2 has a bad timestamp (checked last in a row), line 3 an unknown
    # comment (checked first): line 2 comes first in the file.
    votes = votes_csv(["soon,0,1,1", "11,9,2,-1"])
    with pytest.raises(PolisFormatError) as caught:
        polis_parse(comments=COMMENTS, votes=votes)
    assert (caught.value.line, caught.value.column) == (2, "1 (timestamp)")
    # On one line, the cell read first is named.
    votes = votes_csv(["10,9,1,5"])
    with pytest.raises(PolisFormatError, match=r"line 2, column 2 \(comment-id\): comment 9"):
        polis_parse(comments=COMMENTS, votes=votes)


def test_a_byte_that_is_not_utf8_is_located_in_a_stream_too() -> None:
    votes = votes_csv(["10,0,1,1"]) + "11,1,2,1,caf\u00e9\n".encode("latin-1")
    with pytest.raises(PolisFormatError) as caught:
        polis_parse(comments=COMMENTS, votes=io.BytesIO(votes))
    assert (caught.value.file, caught.value.line, caught.value.column) == ("votes.csv", 3, "5")
    assert "byte 0xe9 is not UTF-8" in caught.value.problem


def test_the_latest_vote_is_the_latest_time_then_the_later_line() -> None:
    votes = votes_csv(["20,0,1,1", "10,0,1,-1", "20,0,1,0", "5,1,1,-1"])
    latest = polis_parse(comments=COMMENTS, votes=votes).latest_votes()
    assert list(zip(latest.comment.tolist(), latest.value.tolist(), strict=True)) == [
        (0, 0),
        (1, -1),
    ]


def test_participants_votes_cells_are_checked_in_file_order() -> None:
    wide = b"participant,xid,group-id,0,1,2\n1,a,0,1,,-1\n2,,,x,1,7\n"
    with pytest.raises(PolisFormatError, match=r"line 3, column 4 \(0\): 'x' is not a whole"):
        polis_parse(comments=COMMENTS, participants_votes=wide)
    parsed = polis_parse(comments=COMMENTS, participants_votes=wide.replace(b"x,1,7", b"0,1,"))
    assert parsed.xids == {1: "a"}
    assert parsed.groups == {1: 0, 2: None}
    assert parsed.votes.timestamp_ms is None
    assert parsed.votes.value.tolist() == [1, -1, 0, 1]


NUL = "a NUL character (byte 0x00) cannot be stored as text"


@pytest.mark.parametrize(
    ("files", "where"),
    [
        (
            {"comments": COMMENTS.replace(b"Third", b"Th\x00ird")},
            "comments.csv, line 5, column 5 (comment-body)",
        ),
        (
            # Inside a quoted cell that spans lines: the line of the NUL itself.
            {"comments": COMMENTS.replace(b"spans two", b"spans\x00two")},
            "comments.csv, line 4, column 5 (comment-body)",
        ),
        ({"votes": votes_csv(["10,0,1,1", "11,1,\x002,-1"])}, "votes.csv, line 3, column 3"),
        (
            {"summary": b'topic,Rivers\nconversation-description,"one\ntw\x00o"\n'},
            "summary.csv, line 3, column 2",
        ),
        # A UTF-16 file without a byte-order mark reads as UTF-8 with a NUL after each letter.
        ({"votes": "timestamp,comment-id".encode("utf-16-le")}, "votes.csv, line 1, column 1:"),
    ],
)
def test_a_nul_character_anywhere_is_refused_naming_file_line_and_column(
    files: dict[str, bytes], where: str
) -> None:
    arguments: dict[str, bytes] = {"comments": COMMENTS, "votes": votes_csv(["10,0,1,1"])}
    arguments.update(files)
    with pytest.raises(PolisFormatError) as caught:
        polis_parse(**arguments)  # type: ignore[arg-type]
    assert str(caught.value).startswith(where)
    assert NUL in str(caught.value)


def test_a_nul_in_a_later_block_is_found_in_that_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polis_csv, "BLOCK_ROWS", 2)
    rows = [f"{10 + i},0,{i},1" for i in range(7)]
    rows[5] = "15,0,5,1\x00"
    with pytest.raises(PolisFormatError, match=r"votes\.csv, line 7, column 4 \(vote\): a NUL"):
        polis_parse(comments=COMMENTS, votes=votes_csv(rows))
