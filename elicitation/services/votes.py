"""The one vote writer: the page, the API and its token-holder path all call this module.

Two entry points, one SQL statement (`_VOTE_WRITE_POSTGRESQL`) behind both on
PostgreSQL:

- `vote_cast`: a participant's vote, with every rule checked in Python first
  (the space takes input, the value, the statement exists and is accepted)
  so a refusal says exactly what is wrong. Pages and the API's full path.
- `votes_cast_for_anon_tokens`: anonymous token holders' votes, any number in
  one statement whose `target` repeats the access rule in SQL, so the whole
  vote (lookups, rule, write, history) is one round trip. A vote the rule
  refuses changes nothing and comes back None; its caller takes the full path,
  which says why. tests/elicitation/test_access_rule.py proves the SQL and
  `selectors.space_access` / `selectors.input_refusal` agree on every case.

`VoteBatcher` gathers the token votes that arrive while one is being written
into the next statement (see its docstring for the measured gain).

SQLite (the embedded default) cannot write inside a WITH: there `vote_cast`
takes an ORM path with the same semantics and the token path always answers
None.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import (
    ModerationStatus,
    Participant,
    Space,
    Statement,
    Vote,
    VoteEvent,
    VoteValue,
)
from elicitation.services.common import _require_input, statement_number_in_range

logger = logging.getLogger(__name__)

# Statement numbers are PositiveIntegerFields; a larger number is not a statement.
MAX_STATEMENT_NUMBER = 2**31 - 1
# Votes written in one statement at most.
MAX_BATCH = 64


@dataclass(frozen=True)
class VoteOutcome:
    statement: Statement
    value: int
    updated_at: datetime
    created: bool  # first vote of this participant on this statement
    changed: bool  # False for a replay of the vote already stored


@dataclass(frozen=True)
class TokenVoteInput:
    """A token holder's vote: `anon_token` is the raw token from a signature checked for `space_id`."""

    space_id: int
    anon_token: str
    statement_number: int
    value: int
    # The signed token as the request sent it: what the vote throttle counts under.
    signed_token: str = ""


@dataclass(frozen=True)
class TokenVote:
    participant_number: int
    updated_at: datetime
    created: bool
    changed: bool


def plain_vote(data: Any) -> tuple[int, int] | None:
    """(statement number, value) of a body that is a plain vote, else None.

    A plain vote: a JSON object without an xid, a JSON integer statement
    number and a vote value. Stricter than the API's InputSerializer (which
    also takes "3" or 1.0): what fails here takes the full path, which accepts
    or refuses it.
    """
    if not isinstance(data, dict) or "xid" in data:
        return None
    statement_number, value = data.get("statement"), data.get("value")
    if (
        type(statement_number) is int
        and 0 <= statement_number <= MAX_STATEMENT_NUMBER
        and type(value) is int
        and value in (1, -1, 0)
    ):
        return statement_number, value
    return None


def vote_cast(*, participant: Participant, statement_number: int, value: int) -> VoteOutcome:
    """Cast or change `participant`'s vote; two queries whatever the space size.

    The caller checked that the person may take part (`selectors.space_access`)
    and parsed the input (VoteForm, the API's serializer).
    Refuses (nothing written) when the space takes no input or votes are off,
    the value is not a vote, or the statement is unknown or not accepted. A
    replay of the stored vote changes nothing (no new history event).
    `participant.space` should be loaded already (the caller has it).
    """
    space = participant.space
    _require_input(space, "statements")
    if value not in VoteValue.values:
        raise ValidationError({"value": _("A vote is 1 (agree), -1 (disagree) or 0 (pass).")})
    if not statement_number_in_range(statement_number):
        raise ValidationError(
            {
                "statement": _("There is no statement #%(number)s here.")
                % {"number": statement_number}
            }
        )
    statement = (
        Statement.objects.filter(space_id=space.pk, number=statement_number)
        .only("id", "number", "status", "text", "space_id")
        .first()
    )
    if statement is None:
        raise ValidationError(
            {
                "statement": _("There is no statement #%(number)s here.")
                % {"number": statement_number}
            }
        )
    if statement.status != ModerationStatus.ACCEPTED:
        if statement.status == ModerationStatus.PENDING:
            why = _("Statement #%(number)s awaits moderation; no votes.")
        else:
            why = _("Statement #%(number)s was removed; no votes.")
        raise ValidationError({"statement": why % {"number": statement_number}})
    created, changed, updated_at = _vote_store(
        participant_id=participant.pk, statement_id=statement.pk, value=value
    )
    return VoteOutcome(statement, value, updated_at, created=created, changed=changed)


# The statement that writes votes, on PostgreSQL. `target` says which votes to
# write, as (ord, value, participant_id, participant_number, statement_id); the
# rest is the same for every caller. `prev` reads the stored votes (the
# snapshot at the statement's start) to tell first votes and replays. The
# upsert writes only a changed value: its conflict branch locks the stored
# vote and compares with its latest version, so a concurrent change of the same
# vote waits and is then compared with, and a replay stores nothing;
# clock_timestamp() is read there, after the lock, so timestamps and history
# rows follow the order votes were applied. The history row comes from the
# upsert's RETURNING. In the load benchmark the ORM version (SELECT ... FOR
# UPDATE, upsert, history INSERT, BEGIN/COMMIT) cost about 3 ms of app CPU per
# vote, mostly Django compiling SQL; this statement costs 0.3-0.4 ms.
_VOTE_WRITE_POSTGRESQL = """
WITH target AS ({target}
), prev AS (
    SELECT v.participant_id, v.statement_id, v.value, v.updated_at
    FROM {vote} v JOIN target t
      ON v.participant_id = t.participant_id AND v.statement_id = t.statement_id
), up AS (
    INSERT INTO {vote} AS v (participant_id, statement_id, value, updated_at)
    SELECT t.participant_id, t.statement_id, t.value, clock_timestamp() FROM target t
    ON CONFLICT (participant_id, statement_id)
    DO UPDATE SET value = EXCLUDED.value, updated_at = clock_timestamp()
    WHERE v.value <> EXCLUDED.value
    RETURNING v.participant_id, v.statement_id, v.value, v.updated_at
), event AS (
    INSERT INTO {event} (participant_id, statement_id, value, created_at)
    SELECT participant_id, statement_id, value, updated_at FROM up
)
SELECT t.ord, t.participant_number, prev.statement_id IS NOT NULL, up.updated_at,
       prev.updated_at
FROM target t
LEFT JOIN prev ON prev.participant_id = t.participant_id AND prev.statement_id = t.statement_id
LEFT JOIN up ON up.participant_id = t.participant_id AND up.statement_id = t.statement_id
"""

# A vote already checked by `vote_cast`.
_TARGET_CHECKED = """
    SELECT 0 AS ord, %(value)s::smallint AS value, %(participant)s::bigint AS participant_id,
           0 AS participant_number, %(statement)s::bigint AS statement_id"""

# Anonymous token holders' votes: the access rule in SQL. It admits exactly
# what the full path would let through for such a participant:
# `selectors.space_access` admits a holder of the space's participant token to
# a link space that is not a draft (the token proves the link in a private
# community), and `selectors.input_refusal` plus `vote_cast` want the space open
# within its schedule, statements on, the statement accepted. Keep the two in
# step: tests/elicitation/test_access_rule.py compares them case by case.
_TARGET_TOKEN_HOLDERS = """
    SELECT i.ord, i.value, p.id AS participant_id, p.number AS participant_number,
           st.id AS statement_id
    FROM unnest(
        %(spaces)s::bigint[], %(tokens)s::text[], %(numbers)s::bigint[], %(vals)s::smallint[],
        %(ords)s::int[]
    ) AS i(space_id, token, number, value, ord)
    JOIN {space} s ON s.id = i.space_id
    JOIN {participant} p ON p.space_id = s.id AND p.anon_token = i.token
    JOIN {statement} st ON st.space_id = s.id AND st.number = i.number
    WHERE s.participation = %(link)s AND s.phase = %(open)s
      AND (s.opens_at IS NULL OR s.opens_at <= now())
      AND (s.closes_at IS NULL OR now() < s.closes_at)
      AND s.statements_enabled AND st.status = %(accepted)s"""


def _statement(target: str) -> str:
    return _VOTE_WRITE_POSTGRESQL.format(
        target=target.format(
            space=Space._meta.db_table,
            participant=Participant._meta.db_table,
            statement=Statement._meta.db_table,
        ),
        vote=Vote._meta.db_table,
        event=VoteEvent._meta.db_table,
    )


def _vote_store(
    *, participant_id: int, statement_id: int, value: int
) -> tuple[bool, bool, datetime]:
    """Store a vote `vote_cast` checked; returns (created, changed, updated_at)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _statement(_TARGET_CHECKED),
                {"participant": participant_id, "statement": statement_id, "value": value},
            )
            _ord, _number, existed, new_updated_at, old_updated_at = cursor.fetchone()
        if new_updated_at is not None:
            return not existed, True, new_updated_at
        if old_updated_at is None:
            # Another request of this participant stored this very value after
            # our statement's snapshot: a replay of theirs.
            old_updated_at = (
                Vote.objects.filter(participant_id=participant_id, statement_id=statement_id)
                .values_list("updated_at", flat=True)
                .get()
            )
        return False, False, old_updated_at
    # SQLite cannot write inside a WITH: the ORM path, with the same semantics.
    with transaction.atomic():
        current = (
            Vote.objects.select_for_update()
            .filter(participant_id=participant_id, statement_id=statement_id)
            .only("id", "value", "updated_at")
            .first()
        )
        if current is not None and current.value == value:
            return False, False, current.updated_at
        # Read the clock once we hold the row (or the write lock), so history
        # timestamps follow the order in which the votes were applied.
        now = timezone.now()
        vote = Vote(
            participant_id=participant_id, statement_id=statement_id, value=value, updated_at=now
        )
        # The database enforces the foreign keys and the one-latest-vote
        # constraint; validating them here would cost queries per vote.
        vote.full_clean(exclude=["participant", "statement"], validate_constraints=False)
        # An upsert: if another request of the same participant inserted the
        # row after our SELECT, this updates it instead of failing.
        Vote.objects.bulk_create(
            [vote],
            update_conflicts=True,
            unique_fields=["participant", "statement"],
            update_fields=["value", "updated_at"],
        )
        VoteEvent.objects.create(
            participant_id=participant_id, statement_id=statement_id, value=value, created_at=now
        )
    return current is None, True, now


def votes_cast_for_anon_tokens(votes: list[TokenVoteInput]) -> list[TokenVote | None]:
    """Cast token holders' votes in one SQL statement; None where the full path must decide.

    For anonymous participants of link spaces holding verified tokens, voting
    on accepted statements while the space takes input. Anything else (an
    unknown token or statement, a closed space...) gets None having changed
    nothing; so does every vote on databases but PostgreSQL. Preconditions:
    each `value` is a VoteValue and no (space, token, statement) appears twice
    (one statement cannot update a row twice). A replay of the stored value
    changes nothing. Measured (PostgreSQL CPU per vote, 4 connections):
    0.82-0.90 ms one vote per statement, 0.23 ms ten per statement.
    """
    if connection.vendor != "postgresql" or not votes:
        return [None] * len(votes)
    params: dict[str, Any] = {
        "spaces": [v.space_id for v in votes],
        "tokens": [v.anon_token for v in votes],
        "numbers": [v.statement_number for v in votes],
        "vals": [v.value for v in votes],
        "ords": list(range(len(votes))),
        "link": str(Space.Participation.LINK),
        "open": str(Space.Phase.OPEN),
        "accepted": str(ModerationStatus.ACCEPTED),
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(_TARGET_TOKEN_HOLDERS), params)
        rows = cursor.fetchall()
    results: list[TokenVote | None] = [None] * len(votes)
    for ord_, number, existed, new_updated_at, old_updated_at in rows:
        if new_updated_at is not None:
            results[ord_] = TokenVote(number, new_updated_at, created=not existed, changed=True)
        elif old_updated_at is not None:
            results[ord_] = TokenVote(number, old_updated_at, created=False, changed=False)
        # Else a concurrent request stored this value after our snapshot: the
        # full path answers it as the replay it is.
    return results


class _Waiting:
    """One request's vote in the batcher's queue."""

    __slots__ = ("done", "lead", "result", "vote")

    def __init__(self, vote: TokenVoteInput) -> None:
        self.vote = vote
        self.done = threading.Event()
        self.lead = False
        self.result: TokenVote | None = None


class VoteBatcher:
    """Writes the votes that arrive while one is being written together, in one statement.

    Per process, for the requests a gunicorn worker serves at once (greenlets
    under gevent, threads under gthread). The first vote to arrive when
    nothing is being written is written at once by its own request (the
    leader). Votes arriving meanwhile queue up; when the leader is done it
    wakes its batch's requests with their results and makes the first queued
    request the next leader, which takes the whole queue (up to MAX_BATCH, one
    vote per participant and statement) as its batch. So no vote waits for
    more than the write in flight plus its own, a lone vote is written
    straight away, and no request serves others for longer than one write.
    Each write is one SQL statement and one commit: in the load benchmark most
    of a vote's PostgreSQL CPU and the app's share of the round trip were per
    statement, not per vote (0.9 ms of PostgreSQL CPU per vote alone, 0.3 ms
    batched).

    A request is answered only after the statement holding its vote has
    committed. If the write fails, every vote of that batch gets None and its
    request takes the full path.

    `write` gets the batch and returns a result per vote, in order.
    """

    def __init__(
        self,
        write: Callable[[list[TokenVoteInput]], list[TokenVote | None]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False

    def cast(self, vote: TokenVoteInput) -> TokenVote | None:
        me = _Waiting(vote)
        with self._lock:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.lead = True
        if not me.lead:
            me.done.wait()
            if not me.lead:
                return me.result
        batch: list[_Waiting] = []
        try:
            batch = self._take()
            try:
                results = self._write([w.vote for w in batch])
            except DatabaseError:
                # A dropped connection, a restarted server: the full path
                # checks the connection's health, reconnects and answers. A
                # vote that did commit comes back as a replay there.
                logger.warning("vote batch failed; its votes take the full path", exc_info=True)
                results = [None] * len(batch)
            except Exception:
                # Anything else is a bug, but the batch is only a shortcut: the
                # votes still get the full path's answer (and its error
                # handling), never a 500 for a vote someone else sent.
                logger.exception("vote batch raised; its votes take the full path")
                results = [None] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._busy = False
                else:
                    successor.lead = True
            for waiting in batch:
                if waiting is not me:
                    waiting.done.set()
            if successor is not None:
                successor.done.set()
        return me.result

    def _take(self) -> list[_Waiting]:
        """The next batch from the queue, in arrival order: one vote per participant and statement."""
        with self._lock:
            batch: list[_Waiting] = []
            rest: list[_Waiting] = []
            keys: set[tuple[int, str, int]] = set()
            for waiting in self._queue:
                v = waiting.vote
                key = (v.space_id, v.anon_token, v.statement_number)
                if len(batch) < self._max_batch and key not in keys:
                    keys.add(key)
                    batch.append(waiting)
                else:
                    rest.append(waiting)
            self._queue = rest
        return batch
