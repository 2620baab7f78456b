"""Pol.is export folders in and out of a space.

Reading: `polis_parse` turns the bytes of comments.csv plus votes.csv (the full
vote history) and/or participants-votes.csv (latest votes, one column per
comment) into plain records, or raises PolisFormatError naming the file, line
and column that is wrong. `space_import_polis` writes a parsed conversation
into a new space in one transaction. `polis_export_files` writes a space back
in the same CSV layout (comments.csv, votes.csv, participants-votes.csv,
summary.csv).

Why a parser here and not the analysis engine's `aggregation/engine/polis_io`:
the engine's reader keeps only what the maths needs (ids, vote values, times,
moderated-out and meta flags as NumPy arrays) and reads from a folder on disk.
An import must also keep comment text, authors, is-seed, comment timestamps,
pending vs accepted moderation and xids, must read uploaded bytes, and must
refuse duplicate headers, duplicate ids and bad encodings with a position. So
this is a second, stricter reader on the standard csv module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Required, TypedDict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.text import slugify

from communities.models import Community, Membership
from elicitation.models import (
    STATEMENT_MAX_LENGTH,
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from elicitation.text import clean_text, fold_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"

# Rows per INSERT batch. The largest real conversation (vTaiwan) has 50k vote
# events and 49k latest votes: one save() per row would take minutes inside the
# transaction, so rows go in batches (bulk_create for participants and
# statements, whose parameter lists stay within SQLite's and PostgreSQL's
# limits at this size; executemany in 10x batches for the vote tables).
BATCH_SIZE = 1000

# Ids land in PositiveIntegerField columns.
_MAX_ID = 2_147_483_647
# Timestamps in milliseconds between 1970 and 9999.
_MAX_TIMESTAMP_MS = 253_402_300_799_999
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRUE = {"true", "t", "1", "yes"}
_FALSE = {"false", "f", "0", "no", ""}
_STATUS_FROM_MODERATED = {
    1: ModerationStatus.ACCEPTED,
    0: ModerationStatus.PENDING,
    -1: ModerationStatus.REJECTED,
}
_MODERATED_FROM_STATUS = {status: value for value, status in _STATUS_FROM_MODERATED.items()}
_STATEMENT_TEXT_LIMIT = STATEMENT_MAX_LENGTH * 4


class PolisFiles(TypedDict, total=False):
    """The export's files as `space_import_polis` keyword arguments."""

    comments: Required[bytes]
    votes: bytes | None
    participants_votes: bytes | None
    summary: bytes | None


class PolisFormatError(Exception):
    """An export file that cannot be imported; says which file, line and column."""

    def __init__(
        self, file: str, problem: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class PolisComment:
    number: int
    author: int | None
    text: str
    moderated: int  # 1 accepted, 0 pending, -1 rejected
    is_meta: bool
    is_seed: bool
    timestamp_ms: int
    line: int


@dataclass(frozen=True)
class PolisVote:
    participant: int
    comment: int
    value: int  # export sign: 1 agree, -1 disagree, 0 pass
    timestamp_ms: int | None  # None when read from participants-votes.csv


@dataclass
class PolisConversation:
    comments: list[PolisComment]
    # The full history (votes.csv, in file order) or, without it, the latest
    # votes from participants-votes.csv.
    votes: list[PolisVote]
    has_history: bool
    participants: set[int] = field(default_factory=set)
    xids: dict[int, str] = field(default_factory=dict)
    topic: str = ""
    description: str = ""

    def latest_votes(self) -> dict[tuple[int, int], PolisVote]:
        """(participant, comment) -> the vote that counts: latest timestamp, then latest line."""
        ordered = sorted(
            enumerate(self.votes), key=lambda item: (item[1].timestamp_ms or 0, item[0])
        )
        return {(vote.participant, vote.comment): vote for _, vote in ordered}


# --- Reading ----------------------------------------------------------------


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM spreadsheet programs add
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        # Which CSV field the bad byte falls in: parse the line up to it.
        prefix = data[line_start : exc.start].decode("utf-8", errors="replace")
        fields = next(csv.reader([prefix]), [""])
        raise PolisFormatError(
            file,
            f"byte 0x{data[exc.start]:02x} is not UTF-8 text; save the file as UTF-8",
            line=line,
            column=str(max(len(fields), 1)),
        ) from None


def _column_label(header: Sequence[str], index: int) -> str:
    name = header[index] if index < len(header) else ""
    return f"{index + 1} ({name})" if name else str(index + 1)


class _Table:
    """A CSV file with a checked header; rows come with their starting line number."""

    def __init__(self, data: bytes, file: str, *, required: Sequence[str]) -> None:
        self.file = file
        self._text = _decode(data, file)
        self._reader = csv.reader(io.StringIO(self._text, newline=""), strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise PolisFormatError(file, f"unreadable header ({exc})", line=1) from None
        if not header or not any(cell.strip() for cell in header):
            raise PolisFormatError(file, "the file is empty (no header line)", line=1)
        self.header = [cell.strip() for cell in header]
        seen: dict[str, int] = {}
        for index, name in enumerate(self.header):
            if name in seen:
                raise PolisFormatError(
                    file,
                    f"duplicate header {name!r} (also column {seen[name] + 1})",
                    line=1,
                    column=_column_label(self.header, index),
                )
            seen[name] = index
        self.index = seen
        missing = [name for name in required if name not in seen]
        if missing:
            raise PolisFormatError(
                file,
                f"missing column(s) {', '.join(repr(m) for m in missing)}; "
                f"the header has {', '.join(self.header)}",
                line=1,
                column=", ".join(missing),
            )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        line = 2
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise PolisFormatError(self.file, str(exc), line=line) from None
            start, line = line, self._reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(self.header):
                column = min(len(row), len(self.header)) + 1
                raise PolisFormatError(
                    self.file,
                    f"{len(row)} fields where the header has {len(self.header)}",
                    line=start,
                    column=str(column),
                )
            yield start, row

    def cell(self, row: list[str], line: int, name: str) -> tuple[str, str]:
        """(text, column label) of a named cell."""
        index = self.index[name]
        return row[index].strip(), _column_label(self.header, index)

    def integer(
        self, row: list[str], line: int, name: str, *, minimum: int = 0, maximum: int = _MAX_ID
    ) -> int:
        text, column = self.cell(row, line, name)
        return _integer(self.file, line, column, text, minimum=minimum, maximum=maximum)

    def boolean(self, row: list[str], line: int, name: str) -> bool:
        if name not in self.index:
            return False
        text, column = self.cell(row, line, name)
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise PolisFormatError(
            self.file, f"{text!r} is not true or false", line=line, column=column
        )


def _integer(file: str, line: int, column: str, text: str, *, minimum: int, maximum: int) -> int:
    if not text:
        raise PolisFormatError(file, "a number is required here", line=line, column=column)
    try:
        value = int(text)
    except ValueError:
        raise PolisFormatError(
            file, f"{text!r} is not a whole number", line=line, column=column
        ) from None
    if not minimum <= value <= maximum:
        raise PolisFormatError(
            file, f"{value} is outside {minimum}..{maximum}", line=line, column=column
        )
    return value


def _vote_value(file: str, line: int, column: str, text: str) -> int:
    value = _integer(file, line, column, text, minimum=-(10**9), maximum=10**9)
    if value not in (-1, 0, 1):
        raise PolisFormatError(
            file,
            f"vote {text!r} is not 1 (agree), -1 (disagree) or 0 (pass)",
            line=line,
            column=column,
        )
    return value


def _parse_comments(data: bytes) -> list[PolisComment]:
    table = _Table(
        data,
        COMMENTS,
        required=("timestamp", "comment-id", "author-id", "moderated", "comment-body"),
    )
    comments: list[PolisComment] = []
    seen: dict[int, int] = {}
    for line, row in table.rows():
        number = table.integer(row, line, "comment-id")
        if number in seen:
            raise PolisFormatError(
                COMMENTS,
                f"comment {number} appears twice (first on line {seen[number]})",
                line=line,
                column=table.cell(row, line, "comment-id")[1],
            )
        seen[number] = line
        author_text, _ = table.cell(row, line, "author-id")
        author = table.integer(row, line, "author-id") if author_text else None
        moderated = table.integer(row, line, "moderated", minimum=-1, maximum=1)
        raw_text, text_column = table.cell(row, line, "comment-body")
        # Kept as written (line breaks included), only trimmed: an import
        # must give back the text it was given.
        text = raw_text
        if not text:
            raise PolisFormatError(
                COMMENTS, "the comment text is empty", line=line, column=text_column
            )
        if len(text) > _STATEMENT_TEXT_LIMIT:
            raise PolisFormatError(
                COMMENTS,
                f"the comment is {len(text)} characters; at most {_STATEMENT_TEXT_LIMIT} fit",
                line=line,
                column=text_column,
            )
        comments.append(
            PolisComment(
                number=number,
                author=author,
                text=text,
                moderated=moderated,
                is_meta=table.boolean(row, line, "is-meta"),
                is_seed=table.boolean(row, line, "is-seed"),
                timestamp_ms=table.integer(row, line, "timestamp", maximum=_MAX_TIMESTAMP_MS),
                line=line,
            )
        )
    return comments


def _parse_votes(data: bytes, comment_ids: set[int]) -> list[PolisVote]:
    table = _Table(data, VOTES, required=("timestamp", "comment-id", "voter-id", "vote"))
    votes: list[PolisVote] = []
    for line, row in table.rows():
        comment = table.integer(row, line, "comment-id")
        if comment not in comment_ids:
            raise PolisFormatError(
                VOTES,
                f"comment {comment} is not in {COMMENTS}",
                line=line,
                column=table.cell(row, line, "comment-id")[1],
            )
        value_text, value_column = table.cell(row, line, "vote")
        votes.append(
            PolisVote(
                participant=table.integer(row, line, "voter-id"),
                comment=comment,
                value=_vote_value(VOTES, line, value_column, value_text),
                timestamp_ms=table.integer(row, line, "timestamp", maximum=_MAX_TIMESTAMP_MS),
            )
        )
    return votes


def _parse_participants_votes(
    data: bytes, comment_ids: set[int]
) -> tuple[list[PolisVote], set[int], dict[int, str]]:
    table = _Table(data, PARTICIPANTS_VOTES, required=("participant",))
    # One column per comment id; the other columns (group-id, n-votes, ...) are summaries.
    comment_columns = [
        (index, int(name)) for index, name in enumerate(table.header) if name.isdigit()
    ]
    votes: list[PolisVote] = []
    participants: dict[int, int] = {}
    xids: dict[int, str] = {}
    xid_lines: dict[str, int] = {}
    for line, row in table.rows():
        participant = table.integer(row, line, "participant")
        if participant in participants:
            raise PolisFormatError(
                PARTICIPANTS_VOTES,
                f"participant {participant} appears twice (first on line {participants[participant]})",
                line=line,
                column=table.cell(row, line, "participant")[1],
            )
        participants[participant] = line
        if "xid" in table.index:
            xid, xid_column = table.cell(row, line, "xid")
            if xid:
                if len(xid) > 200:
                    raise PolisFormatError(
                        PARTICIPANTS_VOTES,
                        "xid longer than 200 characters",
                        line=line,
                        column=xid_column,
                    )
                if xid in xid_lines:
                    raise PolisFormatError(
                        PARTICIPANTS_VOTES,
                        f"xid {xid!r} appears twice (first on line {xid_lines[xid]})",
                        line=line,
                        column=xid_column,
                    )
                xid_lines[xid] = line
                xids[participant] = xid
        for index, comment in comment_columns:
            text = row[index].strip()
            if not text:
                continue
            column = _column_label(table.header, index)
            if comment not in comment_ids:
                raise PolisFormatError(
                    PARTICIPANTS_VOTES,
                    f"a vote on comment {comment}, which is not in {COMMENTS}",
                    line=line,
                    column=column,
                )
            votes.append(
                PolisVote(
                    participant=participant,
                    comment=comment,
                    value=_vote_value(PARTICIPANTS_VOTES, line, column, text),
                    timestamp_ms=None,
                )
            )
    return votes, set(participants), xids


def _parse_summary(data: bytes) -> dict[str, str]:
    """summary.csv is key,value lines (no header); values may span several lines."""
    text = _decode(data, SUMMARY)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: dict[str, str] = {}
    try:
        for row in reader:
            if len(row) >= 2 and row[0].strip():
                out[row[0].strip()] = row[1].strip()
    except csv.Error as exc:
        raise PolisFormatError(SUMMARY, str(exc), line=reader.line_num) from None
    return out


def polis_parse(
    *,
    comments: bytes,
    votes: bytes | None = None,
    participants_votes: bytes | None = None,
    summary: bytes | None = None,
) -> PolisConversation:
    """Parse an export; votes.csv (history) wins over participants-votes.csv (latest only).

    With both, participants-votes.csv is still checked and adds its xids and the
    participants it lists who never voted.
    """
    if votes is None and participants_votes is None:
        raise PolisFormatError(VOTES, f"{VOTES} or {PARTICIPANTS_VOTES} is required")
    parsed_comments = _parse_comments(comments)
    comment_ids = {c.number for c in parsed_comments}
    participants: set[int] = set()
    xids: dict[int, str] = {}
    wide_votes: list[PolisVote] = []
    if participants_votes is not None:
        wide_votes, participants, xids = _parse_participants_votes(participants_votes, comment_ids)
    history = _parse_votes(votes, comment_ids) if votes is not None else None
    meta = _parse_summary(summary) if summary is not None else {}
    conversation = PolisConversation(
        comments=parsed_comments,
        votes=history if history is not None else wide_votes,
        has_history=history is not None,
        xids=xids,
        topic=meta.get("topic", ""),
        description=meta.get("conversation-description", ""),
    )
    conversation.participants = (
        participants
        | {v.participant for v in conversation.votes}
        | {c.author for c in parsed_comments if c.author is not None}
    )
    return conversation


# --- Import -----------------------------------------------------------------


def _from_ms(ms: int) -> datetime:
    # timedelta arithmetic, not float division, so milliseconds round-trip exactly.
    return _EPOCH + timedelta(milliseconds=ms)


def _to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def normalize_statement_text(text: str) -> str:
    """Statement.normalized_text for an imported comment: the key proposals are checked against.

    The same folding as new proposals (elicitation.text.fold_text), so a later
    proposal repeating an imported comment is caught as a duplicate. A text of
    only punctuation or symbols ("???") folds to nothing and keeps its cleaned,
    case-folded form instead (the column may not be blank).
    """
    return fold_text(text) or clean_text(text).casefold()


def _free_slug(community: Community, title: str) -> str:
    base = (slugify(title) or "polis-import")[:70].strip("-") or "polis-import"
    taken = set(
        Space.objects.filter(community=community, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _insert_vote_rows(
    model: type[Vote] | type[VoteEvent], rows: list[tuple[int, int, int, datetime]]
) -> None:
    """Insert (participant_id, statement_id, value, time) rows, fast.

    bulk_create spends most of its time building 100k model instances and
    compiling each value through the field machinery (two thirds of a vTaiwan
    import when profiled); these rows are already validated plain values. On
    PostgreSQL they are streamed with COPY (per-row INSERTs, even pipelined,
    took 12 s for vTaiwan; COPY well under one); SQLite runs in-process, where
    executemany is already cheap.
    """
    if not rows:
        return
    time_column = "updated_at" if model is Vote else "created_at"
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in ("participant_id", "statement_id", "value", time_column))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor, inside the same transaction
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"
        step = BATCH_SIZE * 10
        for start in range(0, len(rows), step):
            cursor.executemany(
                sql, [(p, s, v, adapt(t)) for p, s, v, t in rows[start : start + step]]
            )


class DuplicateImport(Exception):
    """The export's conversation is already a space of the community (`existing`)."""

    def __init__(self, existing: Space) -> None:
        self.existing = existing
        super().__init__(
            f"This conversation is already space {existing.pk} (“{existing.title}”) of this "
            "community: the same comments with the same numbers. Nothing imported; confirm "
            "to import a second copy."
        )


def _content_fingerprint(comments: Iterable[tuple[int, str]]) -> str:
    """sha256 of the (number, text) pairs in number order: what makes two copies the same."""
    digest = hashlib.sha256()
    for number, text in sorted(comments):
        digest.update(f"{number}\t{text}\n".encode())
    return digest.hexdigest()


def space_matching_conversation(
    *, community: Community, conversation: PolisConversation
) -> Space | None:
    """A space of the community whose statements are this conversation's comments.

    Compared on statement numbers and texts, so a space imported before, or one
    exported from here and uploaded again, is found whatever happened to its
    votes since. Only spaces with as many statements are read.
    """
    wanted = _content_fingerprint((c.number, c.text) for c in conversation.comments)
    candidates = (
        Space.objects.filter(community=community)
        .annotate(n_statements=Count("statements"))
        .filter(n_statements=len(conversation.comments))
        .order_by("created_at", "id")
    )
    for space in candidates:
        pairs = Statement.objects.filter(space=space).values_list("number", "text")
        if _content_fingerprint(pairs) == wanted:
            return space
    return None


def space_import_polis(
    *,
    community: Community,
    actor: User | None,
    comments: bytes,
    votes: bytes | None = None,
    participants_votes: bytes | None = None,
    summary: bytes | None = None,
    title: str = "",
    second_copy: bool = False,
) -> Space:
    """Create a new space in `community` holding a Pol.is conversation.

    Preconditions: the caller checked that `actor` may create spaces there
    (role_allows CREATE_SPACE); `actor` is None for the management command.
    Statements keep their Pol.is comment ids as `number`, participants their
    Pol.is participant ids. Raises PolisFormatError (file, line, column) on any
    malformed input, before anything is written; the writes happen in one
    transaction, so a failure part-way leaves no space behind. Raises
    DuplicateImport when the community already has a space with this
    conversation's comments, unless `second_copy` says to import it anyway.
    """
    conversation = polis_parse(
        comments=comments, votes=votes, participants_votes=participants_votes, summary=summary
    )
    if not second_copy:
        existing = space_matching_conversation(community=community, conversation=conversation)
        if existing is not None:
            raise DuplicateImport(existing)
    now = timezone.now()
    title = " ".join((title or conversation.topic or "Imported Pol.is conversation").split())
    title = title[:160]
    question = " ".join((conversation.topic or title).split())[:300]
    participant_ids = sorted(conversation.participants)
    comment_ids = [c.number for c in conversation.comments]
    actor_role = ""
    if actor is not None:
        membership = Membership.objects.filter(user=actor, community=community).first()
        actor_role = membership.role if membership else ""

    with transaction.atomic():
        space = Space(
            community=community,
            title=title,
            slug=_free_slug(community, title),
            question=question,
            description=conversation.description[:6000],
            phase=Space.Phase.DRAFT,
            created_by=actor,
            # Past the largest imported ids, so numbers handed out later never collide.
            participant_counter=(max(participant_ids) + 1) if participant_ids else 0,
            statement_counter=(max(comment_ids) + 1) if comment_ids else 0,
        )
        space.full_clean()
        space.save()

        participants = [
            Participant(
                space=space,
                number=number,
                xid=conversation.xids.get(number, ""),
                created_at=now,
            )
            for number in participant_ids
        ]
        Participant.objects.bulk_create(participants, batch_size=BATCH_SIZE)
        participant_pk = dict(Participant.objects.filter(space=space).values_list("number", "pk"))

        statements: list[Statement] = []
        for comment in conversation.comments:
            statement = Statement(
                space=space,
                number=comment.number,
                text=comment.text,
                normalized_text=normalize_statement_text(comment.text)[:_STATEMENT_TEXT_LIMIT],
                author_id=participant_pk[comment.author] if comment.author is not None else None,
                is_seed=comment.is_seed,
                is_meta=comment.is_meta,
                status=_STATUS_FROM_MODERATED[comment.moderated],
                created_at=_from_ms(comment.timestamp_ms),
            )
            # Field validation only: the unique constraints are checked by the
            # database, and numbers were already checked unique by the parser.
            try:
                statement.full_clean(
                    exclude=["space", "author"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                raise PolisFormatError(
                    COMMENTS, "; ".join(exc.messages), line=comment.line
                ) from None
            statements.append(statement)
        Statement.objects.bulk_create(statements, batch_size=BATCH_SIZE)
        statement_pk = dict(Statement.objects.filter(space=space).values_list("number", "pk"))

        # Vote rows are not full_clean()ed one by one (100k model validations
        # would dominate the import): the parser already checked every value,
        # id and reference, and the database constraints back it up.
        events = [
            (
                participant_pk[v.participant],
                statement_pk[v.comment],
                v.value,
                _from_ms(v.timestamp_ms) if v.timestamp_ms is not None else now,
            )
            for v in conversation.votes
        ]
        _insert_vote_rows(VoteEvent, events)
        latest = conversation.latest_votes()
        _insert_vote_rows(
            Vote,
            [
                (
                    participant_pk[v.participant],
                    statement_pk[v.comment],
                    v.value,
                    _from_ms(v.timestamp_ms) if v.timestamp_ms is not None else now,
                )
                for v in latest.values()
            ],
        )
        ModerationAction.objects.create(
            space=space,
            actor=actor,
            actor_role=actor_role,
            action=ModerationAction.Action.IMPORT,
            reason="Imported a Pol.is export",
            detail={
                "source": "polis",
                "history": conversation.has_history,
                "statements": len(statements),
                "participants": len(participants),
                "vote_events": len(events),
                "votes": len(latest),
                "accepted": sum(1 for c in conversation.comments if c.moderated == 1),
                "pending": sum(1 for c in conversation.comments if c.moderated == 0),
                "rejected": sum(1 for c in conversation.comments if c.moderated == -1),
            },
            created_at=now,
        )
    return space


# --- Export -----------------------------------------------------------------


def _csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _polis_datetime(moment: datetime) -> str:
    # Pol.is writes e.g. "Sat Nov 17 05:09:36 WIB 2018"; ours is always UTC.
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _latest_groups(space: Space) -> dict[int, int | None]:
    """Participant number -> opinion group index from the latest succeeded analysis."""
    from aggregation.models import AnalysisRun  # aggregation depends on elicitation, not back

    run = (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .only("result")
        .first()
    )
    result = run.result if run is not None else None
    groups = result.get("participants") if isinstance(result, dict) else None
    if not isinstance(groups, dict):
        return {}
    out: dict[int, int | None] = {}
    for key, group in groups.items():
        if str(key).isdigit() and (group is None or isinstance(group, int)):
            out[int(key)] = group
    return out


def polis_export_files(*, space: Space) -> dict[str, bytes]:
    """The space as a Pol.is export: file name -> CSV bytes.

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
        COMMENTS: _csv_bytes(comments_rows),
        VOTES: _csv_bytes(votes_rows),
        PARTICIPANTS_VOTES: _csv_bytes(wide_rows),
        SUMMARY: _csv_bytes(summary_rows),
    }


def polis_export_zip(*, space: Space) -> bytes:
    """The export files in one zip archive, in a folder named after the space."""
    buffer = io.BytesIO()
    folder = polis_export_folder_name(space)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in polis_export_files(space=space).items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def polis_export_folder_name(space: Space) -> str:
    return f"polis-space-{space.pk}"
