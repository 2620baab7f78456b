"""Importing a Pol.is export into a new space.

The files are parsed by the project's one Pol.is parser
(aggregation.engine.polis_csv: strict, every problem named by file, line and
column) before anything is written; `space_import_polis` then writes the
conversation in one transaction, so a failure part-way leaves no space behind.

Vote rows go in column-wise: on PostgreSQL as one binary COPY per table built
from the parsed arrays (no Python object per vote), elsewhere through
executemany. A 1M-vote export imports in seconds rather than the half minute
that per-row Python took.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from aggregation.engine.polis_csv import (
    COMMENTS,
    PolisConversation,
    PolisFormatError,
    Source,
    latest_rows,
    polis_parse,
)
from communities.models import Community
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
from elicitation.services.decisions import decision_log_append
from elicitation.services.statements import statements_embed_later
from elicitation.text import clean_text, fold_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Rows per INSERT batch for participants and statements (bulk_create), whose
# parameter lists stay within SQLite's and PostgreSQL's limits at this size;
# vote rows on SQLite go in executemany batches ten times larger.
BATCH_SIZE = 1000
STATEMENT_TEXT_LIMIT = STATEMENT_MAX_LENGTH * 4

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800_000_000
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_PG_COPY_TRAILER = b"\xff\xff"
_STATUS_FROM_MODERATED = {
    1: ModerationStatus.ACCEPTED,
    0: ModerationStatus.PENDING,
    -1: ModerationStatus.REJECTED,
}


def from_ms(ms: int) -> datetime:
    # timedelta arithmetic, not float division, so milliseconds round-trip exactly.
    return _EPOCH + timedelta(milliseconds=ms)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


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


def _pks(
    model: type[Participant] | type[Statement], space: Space
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(numbers sorted, their primary keys) of a space's participants or statements."""
    rows = np.array(
        model.objects.filter(space=space).order_by("number").values_list("number", "pk"),
        dtype=np.int64,
    ).reshape(-1, 2)
    return rows[:, 0], rows[:, 1]


def _lookup(
    numbers: NDArray[np.int64], pks: NDArray[np.int64], wanted: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The primary key of each wanted number (all present: the parser checked references)."""
    return pks[np.searchsorted(numbers, wanted)]


def insert_vote_rows(
    model: type[Vote] | type[VoteEvent],
    *,
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    value: NDArray[np.int8],
    time_us: NDArray[np.int64],
) -> None:
    """Insert (participant pk, statement pk, value, time in epoch microseconds) columns, fast.

    The rows are already validated plain values, so no model instance is
    built: on PostgreSQL they go in one binary COPY whose bytes NumPy lays out
    (fixed-width big-endian fields, each after its length), elsewhere through
    executemany.
    """
    if not participant.size:
        return
    time_column = "updated_at" if model is Vote else "created_at"
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in ("participant_id", "statement_id", "value", time_column))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor, inside the same transaction
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                for block in _binary_copy_blocks(participant, statement, value, time_us):
                    copy.write(block)
            return
        adapt = connection.ops.adapt_datetimefield_value
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"
        step = BATCH_SIZE * 10
        for start in range(0, participant.size, step):
            end = start + step
            cursor.executemany(
                sql,
                [
                    (p, s, v, adapt(_EPOCH + timedelta(microseconds=t)))
                    for p, s, v, t in zip(
                        participant[start:end].tolist(),
                        statement[start:end].tolist(),
                        value[start:end].tolist(),
                        time_us[start:end].tolist(),
                        strict=True,
                    )
                ],
            )


_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("p_len", ">i4"),
        ("participant", ">i8"),
        ("s_len", ">i4"),
        ("statement", ">i8"),
        ("v_len", ">i4"),
        ("value", ">i2"),
        ("t_len", ">i4"),
        ("time", ">i8"),
    ]
)


def _binary_copy_blocks(
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    value: NDArray[np.int8],
    time_us: NDArray[np.int64],
    rows_per_block: int = 500_000,
) -> list[bytes]:
    """PostgreSQL's binary COPY format: header, rows (bigint, bigint, smallint,
    timestamptz as microseconds since 2000), trailer; split in blocks so no
    single buffer holds every row."""
    blocks = [_PG_COPY_HEADER]
    for start in range(0, participant.size, rows_per_block):
        end = min(start + rows_per_block, participant.size)
        rows = np.empty(end - start, dtype=_COPY_ROW)
        rows["fields"] = 4
        rows["p_len"], rows["s_len"], rows["v_len"], rows["t_len"] = 8, 8, 2, 8
        rows["participant"] = participant[start:end]
        rows["statement"] = statement[start:end]
        rows["value"] = value[start:end]
        rows["time"] = time_us[start:end] - _PG_EPOCH_US
        blocks.append(rows.tobytes())
    blocks.append(_PG_COPY_TRAILER)
    return blocks


class DuplicateImport(Exception):
    """The export's conversation is already a space of the community (`existing`)."""

    def __init__(self, existing: Space) -> None:
        self.existing = existing
        super().__init__(
            _(
                "This conversation is already space %(id)s (“%(title)s”) of this "
                "community: the same comments with the same numbers. Nothing imported; confirm "
                "to import a second copy."
            )
            % {"id": existing.pk, "title": existing.title}
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
    comments = conversation.comments
    wanted = _content_fingerprint(zip(comments.number.tolist(), comments.text, strict=True))
    candidates = (
        Space.objects.filter(community=community)
        .annotate(n_statements=Count("statements"))
        .filter(n_statements=len(comments.text))
        .order_by("created_at", "id")
    )
    for space in candidates:
        pairs = Statement.objects.filter(space=space).values_list("number", "text")
        if _content_fingerprint(pairs) == wanted:
            return space
    return None


def polis_parse_files(
    *,
    comments: Source,
    votes: Source | None = None,
    participants_votes: Source | None = None,
    summary: Source | None = None,
) -> PolisConversation:
    """Parse an export with the platform's limits; PolisFormatError names file, line, column."""
    return polis_parse(
        comments=comments,
        votes=votes,
        participants_votes=participants_votes,
        summary=summary,
        max_text=STATEMENT_TEXT_LIMIT,
    )


def space_import_polis(
    *,
    community: Community,
    actor: User | None,
    comments: Source,
    votes: Source | None = None,
    participants_votes: Source | None = None,
    summary: Source | None = None,
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
    conversation = polis_parse_files(
        comments=comments, votes=votes, participants_votes=participants_votes, summary=summary
    )
    return space_import_conversation(
        conversation=conversation,
        community=community,
        actor=actor,
        title=title,
        second_copy=second_copy,
    )


def space_import_conversation(
    *,
    conversation: PolisConversation,
    community: Community,
    actor: User | None,
    title: str = "",
    second_copy: bool = False,
    before_commit: Callable[[Space], None] | None = None,
) -> Space:
    """Write a parsed conversation as a new space (see space_import_polis).

    `before_commit` runs inside the import's transaction once every row is
    written (the upload job records its success there, so a worker killed
    at any point leaves either no space or a space and a finished job);
    whatever it raises undoes the whole import.
    """
    if not second_copy:
        existing = space_matching_conversation(community=community, conversation=conversation)
        if existing is not None:
            raise DuplicateImport(existing)
    with transaction.atomic():
        space = _write(conversation, community=community, actor=actor, title=title)
        if before_commit is not None:
            before_commit(space)
        # The worker embeds the statements after the commit (minutes for
        # thousands of them): the first analysis run does not have to.
        statements_embed_later(space.pk)
    return space


def _write(
    conversation: PolisConversation,
    *,
    community: Community,
    actor: User | None,
    title: str,
) -> Space:
    """Every row of the import; runs inside the caller's transaction."""
    now = timezone.now()
    comments = conversation.comments
    title = " ".join((title or conversation.topic or "Imported Pol.is conversation").split())
    title = title[:160]
    question = " ".join((conversation.topic or title).split())[:300]
    participant_ids = conversation.participants
    space = Space(
        community=community,
        title=title,
        slug=_free_slug(community, title),
        question=question,
        description=conversation.description[:6000],
        phase=Space.Phase.DRAFT,
        created_by=actor,
        # Past the largest imported ids, so numbers handed out later never collide.
        participant_counter=int(participant_ids.max()) + 1 if participant_ids.size else 0,
        statement_counter=int(comments.number.max()) + 1 if len(comments) else 0,
    )
    space.full_clean()
    space.save()

    Participant.objects.bulk_create(
        (
            Participant(
                space=space, number=number, xid=conversation.xids.get(number, ""), created_at=now
            )
            for number in participant_ids.tolist()
        ),
        batch_size=BATCH_SIZE,
    )
    p_numbers, p_pks = _pks(Participant, space)

    statements: list[Statement] = []
    authors = comments.author
    author_pk = np.where(authors >= 0, _lookup(p_numbers, p_pks, np.maximum(authors, 0)), -1)
    for i in range(len(comments)):
        text = comments.text[i]
        statement = Statement(
            space=space,
            number=int(comments.number[i]),
            text=text,
            normalized_text=normalize_statement_text(text)[:STATEMENT_TEXT_LIMIT],
            author_id=int(author_pk[i]) if author_pk[i] >= 0 else None,
            is_seed=bool(comments.is_seed[i]),
            is_meta=bool(comments.is_meta[i]),
            status=_STATUS_FROM_MODERATED[int(comments.moderated[i])],
            created_at=from_ms(int(comments.timestamp_ms[i])),
        )
        # Field validation only: the unique constraints are checked by the
        # database, and numbers were already checked unique by the parser.
        try:
            statement.full_clean(
                exclude=["space", "author"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            raise PolisFormatError(
                COMMENTS, "; ".join(exc.messages), line=int(comments.line[i])
            ) from None
        statements.append(statement)
    Statement.objects.bulk_create(statements, batch_size=BATCH_SIZE)
    s_numbers, s_pks = _pks(Statement, space)

    # Vote rows are not full_clean()ed one by one: the parser already checked
    # every value, id and reference, and the database constraints back it up.
    history = conversation.votes
    times = (
        history.timestamp_ms * 1000
        if history.timestamp_ms is not None
        else np.full(len(history), _us(now), dtype=np.int64)
    )
    participant_pk = _lookup(p_numbers, p_pks, history.participant)
    statement_pk = _lookup(s_numbers, s_pks, history.comment)
    insert_vote_rows(
        VoteEvent,
        participant=participant_pk,
        statement=statement_pk,
        value=history.value,
        time_us=times,
    )
    latest = latest_rows(history)
    insert_vote_rows(
        Vote,
        participant=participant_pk[latest],
        statement=statement_pk[latest],
        value=history.value[latest],
        time_us=times[latest],
    )
    moderated = comments.moderated
    decision_log_append(
        space=space,
        actor=actor,
        action=ModerationAction.Action.IMPORT,
        reason="Imported a Pol.is export",
        detail={
            "source": "polis",
            "history": conversation.has_history,
            "statements": len(statements),
            "participants": int(participant_ids.size),
            "vote_events": len(history),
            "votes": int(latest.size),
            "accepted": int((moderated == 1).sum()),
            "pending": int((moderated == 0).sum()),
            "rejected": int((moderated == -1).sum()),
        },
    )
    return space
