"""A space as a Pol.is export: comments.csv, votes.csv, participants-votes.csv, summary.csv.

The same CSV layout the importer (elicitation.polis.importer) reads, so a
conversation round-trips. Participants appear only as per-space numbers.

Two modes. EXACT writes every text as it is: what tools and the importer
read, a lossless round trip. SAFE is for opening in a spreadsheet: a text
cell that starts with = + - @, a tab or a carriage return gets a single
quote in front (OWASP's advice against CSV injection), so a statement such
as `=HYPERLINK(...)` shows as text instead of running as a formula. Numbers
we write (ids, votes such as -1, timestamps) are never touched. The
browser download defaults to SAFE; the API and the export_polis command to
EXACT.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.db.models import Count, F, Q

from aggregation.engine.polis_csv import COMMENTS, PARTICIPANTS_VOTES, SUMMARY, VOTES
from elicitation.models import ModerationStatus, Participant, Space, Statement, Vote, VoteEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MODERATED_FROM_STATUS = {
    ModerationStatus.ACCEPTED: 1,
    ModerationStatus.PENDING: 0,
    ModerationStatus.REJECTED: -1,
}


class ExportMode(StrEnum):
    EXACT = "exact"
    SAFE = "safe"


# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: object) -> object:
    """A text cell that a spreadsheet would run, prefixed with a quote; anything else as is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _csv_bytes(rows: list[list[object]], mode: ExportMode) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    if mode == ExportMode.SAFE:
        writer.writerows([neutralise_formula(cell) for cell in row] for row in rows)
    else:
        writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _polis_datetime(moment: datetime) -> str:
    # Pol.is writes e.g. "Sat Nov 17 05:09:36 WIB 2018"; ours is always UTC.
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _latest_groups(space: Space) -> dict[int, int | None]:
    """Participant number -> opinion group index from the latest succeeded analysis."""
    from aggregation.models import AnalysisRun  # aggregation depends on elicitation, not back
    from aggregation.results import StoredResult

    run = (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .only("result")
        .first()
    )
    stored = StoredResult.from_json(run.result if run is not None else None)
    return {
        number: group
        for number, group in stored.participants.items()
        if number >= 0 and (group is None or isinstance(group, int))
    }


def polis_export_files(*, space: Space, mode: ExportMode = ExportMode.EXACT) -> dict[str, bytes]:
    """The space as a Pol.is export: file name -> CSV bytes (see the module for `mode`).

    Participants appear only as their per-space numbers (never usernames,
    e-mails, account ids or xids). A constant number of queries whatever the
    size of the space.
    """
    statements = list(
        Statement.objects.filter(space=space)
        .order_by("number")
        .annotate(
            agrees=Count("votes", filter=Q(votes__value=1)),
            disagrees=Count("votes", filter=Q(votes__value=-1)),
        )
        .values(
            "number",
            "author__number",
            "text",
            "status",
            "is_meta",
            "is_seed",
            "created_at",
            "agrees",
            "disagrees",
        )
    )
    comments_rows: list[list[object]] = [
        [
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
    ]
    for s in statements:
        comments_rows.append(
            [
                _to_ms(s["created_at"]),
                _polis_datetime(s["created_at"]),
                s["number"],
                "" if s["author__number"] is None else s["author__number"],
                s["agrees"],
                s["disagrees"],
                _MODERATED_FROM_STATUS[s["status"]],
                "true" if s["is_meta"] else "false",
                "true" if s["is_seed"] else "false",
                s["text"],
            ]
        )

    votes_rows: list[list[object]] = [["timestamp", "datetime", "comment-id", "voter-id", "vote"]]
    for created_at, comment, voter, value in (
        VoteEvent.objects.filter(participant__space=space)
        .order_by("created_at", "id")
        .values_list("created_at", "statement__number", "participant__number", "value")
        .iterator(chunk_size=5000)
    ):
        votes_rows.append([_to_ms(created_at), _polis_datetime(created_at), comment, voter, value])

    latest: dict[int, dict[int, int]] = {}
    for voter, comment, value in (
        Vote.objects.filter(participant__space=space)
        .values_list("participant__number", "statement__number", "value")
        .iterator(chunk_size=5000)
    ):
        latest.setdefault(voter, {})[comment] = value
    authored: dict[int, int] = {}
    for s in statements:
        if s["author__number"] is not None:
            authored[s["author__number"]] = authored.get(s["author__number"], 0) + 1
    groups = _latest_groups(space)
    numbers = list(
        Participant.objects.filter(space=space).order_by("number").values_list("number", flat=True)
    )
    comment_numbers = [s["number"] for s in statements]
    wide_rows: list[list[object]] = [
        [
            "participant",
            "group-id",
            "n-comments",
            "n-votes",
            "n-agree",
            "n-disagree",
            *comment_numbers,
        ]
    ]
    for number in numbers:
        own = latest.get(number, {})
        group = groups.get(number)
        wide_rows.append(
            [
                number,
                "" if group is None else group,
                authored.get(number, 0),
                len(own),
                sum(1 for v in own.values() if v == 1),
                sum(1 for v in own.values() if v == -1),
                *(own.get(c, "") for c in comment_numbers),
            ]
        )

    group_ids = {g for g in groups.values() if g is not None}
    summary_rows: list[list[object]] = [
        ["topic", space.title],
        ["url", ""],
        ["voters", len(latest)],
        ["commenters", len(authored)],
        ["comments", len(statements)],
        ["groups", len(group_ids) if group_ids else ""],
        ["conversation-description", space.description or space.question],
    ]
    return {
        COMMENTS: _csv_bytes(comments_rows, mode),
        VOTES: _csv_bytes(votes_rows, mode),
        PARTICIPANTS_VOTES: _csv_bytes(wide_rows, mode),
        SUMMARY: _csv_bytes(summary_rows, mode),
    }


def polis_export_zip(*, space: Space, mode: ExportMode = ExportMode.EXACT) -> bytes:
    """The export files in one zip archive, in a folder named after the space."""
    buffer = io.BytesIO()
    folder = polis_export_folder_name(space)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in polis_export_files(space=space, mode=mode).items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def polis_export_folder_name(space: Space) -> str:
    return f"polis-space-{space.pk}"
