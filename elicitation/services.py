"""Every write of the elicitation app.

Permission checks happen in the callers through `elicitation.selectors`
(who may act); these services enforce the domain rules (what may happen):
the space accepts input, the activity is on, the statement is accepted, the
text is long enough, and so on. Rule violations raise `ValidationError`
(bad input, keyed by field) or `Refused` (the space's state forbids it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from communities.models import Community, Membership
from elicitation.access import input_refusal
from elicitation.models import (
    ARGUMENT_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    Argument,
    Comparison,
    Flag,
    ModerationAction,
    ModerationStatus,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
    VoteValue,
)
from elicitation.text import (
    NEAR_DUPLICATE_RATIO,
    STATEMENT_MIN_LENGTH,
    clean_text,
    fold_text,
    is_near_duplicate,
)

ARGUMENT_MIN_LENGTH = 5
FLAG_REASON_MAX_LENGTH = 500
REASON_MAX_LENGTH = 1000

User = AbstractBaseUser


class Refused(Exception):
    """The space's state forbids the action (closed, outside its schedule, activity off).

    `status` is the HTTP status callers should answer with.
    """

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class DuplicateStatement(ValidationError):
    """A statement with the same or nearly the same text exists in the space."""

    def __init__(self, existing: Statement) -> None:
        super().__init__(
            {
                "text": ValidationError(
                    "This says the same as statement #%(number)s: “%(text)s”. "
                    "Vote on that one instead.",
                    code="duplicate",
                    params={"number": existing.number, "text": existing.text},
                )
            }
        )
        self.existing = existing


def require_input(space: Space, activity: str | None = None) -> None:
    """Refuse unless `space` takes input now (and `activity`, if named, is on)."""
    refusal = input_refusal(space, activity)
    if refusal is not None:
        raise Refused(refusal.message, status=403 if refusal.activity_off else 409)


def _next_counter(space_id: int, field: str) -> int:
    """Hand out the next per-space number from `Space.<field>`; call inside a transaction.

    The conditional F() increment is a single UPDATE, which takes the row's
    write lock (PostgreSQL row lock, SQLite database write lock) until the
    transaction ends; the value read back afterwards is therefore ours alone,
    even when many participants join or propose at the same moment.
    """
    Space.objects.filter(pk=space_id).update(**{field: F(field) + 1})
    return int(Space.objects.filter(pk=space_id).values_list(field, flat=True).get())


def _actor_role(actor: Any, community_id: int) -> str:
    if actor is None or not actor.is_authenticated:
        return ""
    return (
        Membership.objects.filter(
            user=actor, community_id=community_id, status=Membership.Status.ACTIVE
        )
        .values_list("role", flat=True)
        .first()
        or ""
    )


def _log(
    *,
    space: Space,
    actor: Any,
    action: str,
    reason: str = "",
    statement: Statement | None = None,
    argument: Argument | None = None,
    detail: dict[str, Any] | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        space=space,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_role=_actor_role(actor, space.community_id),
        action=action,
        statement=statement,
        argument=argument,
        reason=reason[:REASON_MAX_LENGTH],
        detail=detail or {},
    )
    entry.full_clean(exclude=["space", "actor", "statement", "argument"])
    entry.save()
    return entry


# --- Spaces ------------------------------------------------------------------

SPACE_FIELDS = (
    "title",
    "slug",
    "question",
    "description",
    "opens_at",
    "closes_at",
    "statements_enabled",
    "pairwise_enabled",
    "ranking_enabled",
    "debate_enabled",
    "moderation",
    "participation",
    "ranking_size",
)


@transaction.atomic
def space_create(*, community: Community, actor: Any, **fields: Any) -> Space:
    """Create a draft space; the caller checked that `actor` may CREATE_SPACE."""
    unknown = set(fields) - set(SPACE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    space = Space(community=community, created_by=actor, phase=Space.Phase.DRAFT, **fields)
    space.full_clean()
    space.save()
    return space


@transaction.atomic
def space_update(*, space: Space, actor: Any, **fields: Any) -> Space:
    """Change a space's settings (not its phase: see space_set_phase)."""
    unknown = set(fields) - set(SPACE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(space, name, value)
    space.full_clean()
    space.save(update_fields=[*fields.keys(), "updated_at"])
    return space


def _request_final_analysis(space: Space, actor: Any) -> None:
    # Local import: the aggregation app imports elicitation's models, so
    # elicitation imports aggregation only where it needs it.
    from aggregation.services import run_request

    # None when a run is already queued or running; that run reads the final data too
    # only if it started after the close, so the facilitator can re-run from the page.
    run_request(
        space=space,
        trigger="close",
        requested_by=actor if actor is not None and actor.is_authenticated else None,
    )


@transaction.atomic
def space_set_phase(*, space: Space, phase: str, actor: Any, reason: str = "") -> Space:
    """Move a space to `phase`, log it publicly, and ask for a final analysis on closing."""
    if phase not in Space.Phase.values:
        raise ValidationError(
            {"phase": f"Unknown phase {phase!r}; choose one of {', '.join(Space.Phase.values)}."}
        )
    # Lock the row so two facilitators pressing buttons at once log a
    # consistent before/after pair.
    locked = Space.objects.select_for_update().get(pk=space.pk)
    previous = locked.phase
    if previous == phase:
        raise ValidationError({"phase": f"The space is already {phase}."})
    locked.phase = phase
    locked.save(update_fields=["phase", "updated_at"])
    space.phase = phase
    _log(
        space=locked,
        actor=actor,
        action=ModerationAction.Action.PHASE,
        reason=clean_text(reason),
        detail={"from": previous, "to": phase},
    )
    if phase == Space.Phase.CLOSED:
        _request_final_analysis(locked, actor)
    return space


# --- Participants ------------------------------------------------------------


def new_anon_token() -> str:
    return secrets.token_urlsafe(24)


def participant_get_or_create(
    *,
    space: Space,
    user: AbstractBaseUser | AnonymousUser | None = None,
    anon_token: str = "",
    xid: str = "",
) -> tuple[Participant, bool]:
    """The participant for a person in `space`, created with the next number if new.

    Identity, in order: an external id from an embedding site (`xid`), a
    logged-in user, an anonymous cookie token. The caller checked PARTICIPATE.
    """
    xid = clean_text(xid)
    if len(xid) > 200:
        raise ValidationError({"xid": "An external id has at most 200 characters."})
    authenticated = user is not None and user.is_authenticated
    lookup: dict[str, Any]
    if xid:
        if space.participation != Space.Participation.LINK:
            raise ValidationError(
                {"xid": "External ids are only accepted in spaces open to anyone with the link."}
            )
        lookup = {"xid": xid}
    elif authenticated:
        lookup = {"user": user}
    elif anon_token:
        lookup = {"anon_token": anon_token}
    else:
        raise ValidationError("A participant needs a user, an anonymous token or an xid.")
    existing = Participant.objects.filter(space=space, **lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            number = _next_counter(space.pk, "participant_counter")
            participant = Participant(
                space=space,
                number=number,
                user=user if authenticated and not xid else None,  # type: ignore[misc]
                anon_token=anon_token if not authenticated and not xid else "",
                xid=xid,
            )
            participant.full_clean(exclude=["space", "user"], validate_constraints=False)
            participant.save()
    except IntegrityError:
        # The same person's other request (a double click, two tabs) created
        # the participant between our lookup and insert: use theirs.
        return Participant.objects.get(space=space, **lookup), False
    participant.space = space
    return participant, True


# --- Statements --------------------------------------------------------------


def _validated_statement_text(text: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise ValidationError({"text": "Write a statement first; it is empty."})
    if len(cleaned) < STATEMENT_MIN_LENGTH:
        raise ValidationError(
            {"text": f"A statement needs at least {STATEMENT_MIN_LENGTH} characters."}
        )
    if len(cleaned) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": f"A statement has at most {STATEMENT_MAX_LENGTH} characters; "
                f"this one has {len(cleaned)}."
            }
        )
    return cleaned


def statement_find_duplicate(*, space: Space, folded: str) -> Statement | None:
    """An existing pending or accepted statement the same as, or nearly as, `folded`.

    Exact: the folded texts are equal. Near: difflib ratio >= NEAR_DUPLICATE_RATIO.
    Only statements whose length could reach that ratio are read.
    """
    live = Statement.objects.filter(space=space).exclude(status=ModerationStatus.REJECTED)
    exact = live.filter(normalized_text=folded).first()
    if exact is not None:
        return exact
    low = int(len(folded) * NEAR_DUPLICATE_RATIO / (2 - NEAR_DUPLICATE_RATIO))
    high = int(len(folded) * (2 - NEAR_DUPLICATE_RATIO) / NEAR_DUPLICATE_RATIO) + 1
    candidates = (
        live.annotate(folded_length=Length("normalized_text"))
        .filter(folded_length__gte=low, folded_length__lte=high)
        .only("id", "number", "text", "normalized_text", "status", "space_id")
    )
    for candidate in candidates.iterator():
        if is_near_duplicate(folded, candidate.normalized_text):
            return candidate
    return None


def _statement_create(
    *,
    space: Space,
    text: str,
    author: Participant | None,
    is_seed: bool,
    is_meta: bool,
    status: str,
) -> Statement:
    cleaned = _validated_statement_text(text)
    folded = fold_text(cleaned)
    if len(folded) < 3:
        raise ValidationError({"text": "A statement needs words, not only punctuation."})
    with transaction.atomic():
        # Taking the number first locks the space's counter, so two people
        # proposing the same text at once are checked one after the other.
        number = _next_counter(space.pk, "statement_counter")
        duplicate = statement_find_duplicate(space=space, folded=folded)
        if duplicate is not None:
            raise DuplicateStatement(duplicate)
        statement = Statement(
            space=space,
            number=number,
            text=cleaned,
            normalized_text=folded,
            author=author,
            is_seed=is_seed,
            is_meta=is_meta,
            status=status,
        )
        statement.full_clean(exclude=["space", "author"], validate_constraints=False)
        statement.save()
    return statement


def statement_propose(
    *, space: Space, participant: Participant, text: str, is_meta: bool = False
) -> Statement:
    """A participant proposes a statement; pending under pre-moderation, else accepted."""
    require_input(space, "statements")
    status = (
        ModerationStatus.PENDING
        if space.moderation == Space.Moderation.PRE
        else ModerationStatus.ACCEPTED
    )
    return _statement_create(
        space=space, text=text, author=participant, is_seed=False, is_meta=is_meta, status=status
    )


def statement_seed(*, space: Space, actor: Any, text: str, is_meta: bool = False) -> Statement:
    """A facilitator adds a seed statement (accepted at once, also in draft spaces)."""
    if space.phase == Space.Phase.CLOSED:
        raise Refused("This space is closed; it accepts no new statements.")
    with transaction.atomic():
        statement = _statement_create(
            space=space,
            text=text,
            author=None,
            is_seed=True,
            is_meta=is_meta,
            status=ModerationStatus.ACCEPTED,
        )
        _log(
            space=space,
            actor=actor,
            action=ModerationAction.Action.APPROVE,
            statement=statement,
            reason="Seed statement added by a facilitator.",
        )
    return statement


MODERATION_DECISIONS = {
    # decision: (allowed from, new status, log action)
    "approve": (
        {ModerationStatus.PENDING},
        ModerationStatus.ACCEPTED,
        ModerationAction.Action.APPROVE,
    ),
    "reject": (
        {ModerationStatus.PENDING, ModerationStatus.ACCEPTED},
        ModerationStatus.REJECTED,
        ModerationAction.Action.REJECT,
    ),
    "restore": (
        {ModerationStatus.REJECTED},
        ModerationStatus.ACCEPTED,
        ModerationAction.Action.RESTORE,
    ),
}


def _moderation_transition(current: str, decision: str, reason: str) -> tuple[str, str]:
    if decision not in MODERATION_DECISIONS:
        raise ValidationError(
            {"decision": f"Unknown decision {decision!r}; use approve, reject or restore."}
        )
    allowed, new_status, action = MODERATION_DECISIONS[decision]
    if current not in allowed:
        raise ValidationError({"decision": f"Cannot {decision} something that is {current}."})
    if decision == "reject" and not reason:
        raise ValidationError({"reason": "Give a reason; it appears in the public decision log."})
    return new_status, action


@transaction.atomic
def statement_moderate(
    *,
    statement: Statement,
    actor: Any,
    decision: str,
    reason: str = "",
    is_meta: bool | None = None,
) -> Statement:
    """Approve, reject (post-moderation removal) or restore a statement; logged publicly.

    Rejecting resolves the open flags on it. The caller checked MODERATE.
    """
    reason = clean_text(reason)
    locked = Statement.objects.select_for_update().select_related("space").get(pk=statement.pk)
    new_status, action = _moderation_transition(locked.status, decision, reason)
    locked.status = new_status
    fields = ["status"]
    if is_meta is not None:
        locked.is_meta = is_meta
        fields.append("is_meta")
    locked.save(update_fields=fields)
    if new_status == ModerationStatus.REJECTED:
        Flag.objects.filter(statement=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    _log(
        space=locked.space,
        actor=actor,
        action=action,
        statement=locked,
        reason=reason,
        detail={"statement": locked.number},
    )
    return locked


# --- Votes -------------------------------------------------------------------


@dataclass(frozen=True)
class VoteOutcome:
    statement: Statement
    value: int
    updated_at: datetime
    created: bool  # first vote of this participant on this statement
    changed: bool  # False for a replay of the vote already stored


def vote_cast(*, participant: Participant, statement_number: Any, value: Any) -> VoteOutcome:
    """Cast or change `participant`'s vote; constant queries whatever the space size.

    A replay of the stored vote changes nothing (no new history event).
    `participant.space` should be loaded already (the caller has it).
    """
    space = participant.space
    require_input(space, "statements")
    if value not in VoteValue.values or isinstance(value, bool):
        raise ValidationError({"value": "A vote is 1 (agree), -1 (disagree) or 0 (pass)."})
    if not isinstance(statement_number, int) or isinstance(statement_number, bool):
        raise ValidationError({"statement": "Give the statement's number."})
    statement = (
        Statement.objects.filter(space_id=space.pk, number=statement_number)
        .only("id", "number", "status", "text", "space_id")
        .first()
    )
    if statement is None:
        raise ValidationError({"statement": f"There is no statement #{statement_number} here."})
    if statement.status != ModerationStatus.ACCEPTED:
        why = "awaits moderation" if statement.status == ModerationStatus.PENDING else "was removed"
        raise ValidationError({"statement": f"Statement #{statement_number} {why}; no votes."})
    created, changed, updated_at = vote_store(
        participant_id=participant.pk, statement_id=statement.pk, value=value
    )
    return VoteOutcome(statement, value, updated_at, created=created, changed=changed)


# The vote as one SQL statement on PostgreSQL. In the load benchmark the ORM
# version (SELECT ... FOR UPDATE, upsert, history INSERT, BEGIN/COMMIT) cost
# about 3 ms of app CPU per vote, mostly Django compiling SQL; this statement
# costs 0.3-0.4 ms. `prev` locks the stored vote (a concurrent change of the
# same vote waits, then sees the new value); the upsert runs only when the
# value differs (a replay stores nothing); the history row is inserted from the
# upsert's RETURNING, so after the row lock is held and with the same
# timestamp. clock_timestamp() is read after the lock, so timestamps and event
# ids follow the order in which the votes were applied.
_VOTE_UPSERT_POSTGRESQL = """
WITH prev AS (
    SELECT value, updated_at FROM {vote}
    WHERE participant_id = %(participant)s AND statement_id = %(statement)s
    FOR UPDATE
), up AS (
    INSERT INTO {vote} (participant_id, statement_id, value, updated_at)
    SELECT %(participant)s, %(statement)s, %(value)s, clock_timestamp()
    WHERE NOT EXISTS (SELECT 1 FROM prev WHERE value = %(value)s)
    ON CONFLICT (participant_id, statement_id)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
    RETURNING updated_at
), event AS (
    INSERT INTO {event} (participant_id, statement_id, value, created_at)
    SELECT %(participant)s, %(statement)s, %(value)s, updated_at FROM up
)
SELECT (SELECT count(*) FROM prev), (SELECT updated_at FROM up), (SELECT updated_at FROM prev)
"""


def vote_store(
    *, participant_id: int, statement_id: int, value: int
) -> tuple[bool, bool, datetime]:
    """Store a vote already checked by the caller; returns (created, changed, updated_at).

    Preconditions: the participant belongs to the statement's space, that
    space accepts votes, the statement is accepted and `value` is a
    VoteValue (`vote_cast` checks these; the vote API's fast path checks them
    with `selectors.vote_target_for_anon_token`). A replay of the stored value
    changes nothing and returns the stored timestamp.
    """
    if connection.vendor == "postgresql":
        sql = _VOTE_UPSERT_POSTGRESQL.format(
            vote=Vote._meta.db_table, event=VoteEvent._meta.db_table
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql, {"participant": participant_id, "statement": statement_id, "value": value}
            )
            existed, new_updated_at, old_updated_at = cursor.fetchone()
        if new_updated_at is None:
            return False, False, old_updated_at
        return not existed, True, new_updated_at
    # SQLite (the embedded default) cannot write inside a WITH: the ORM path.
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


@dataclass(frozen=True)
class TokenVoteInput:
    """A token holder's vote: `anon_token` is the raw token from a signature checked for `space_id`."""

    space_id: int
    anon_token: str
    statement_number: int
    value: int


@dataclass(frozen=True)
class TokenVote:
    participant_number: int
    updated_at: datetime
    created: bool
    changed: bool


# Anonymous token holders' votes, lookups and writes, any number in one statement.
# `target` admits exactly what the full path would let through for such a
# participant (`space_get_for_user` admits an anonymous client to a link space
# that is not a draft; `vote_cast` wants the space open within its schedule,
# statements on, the statement accepted); a vote it drops changes nothing and
# gets no row back, and its caller takes the full path, which says what is
# wrong. `prev` reads the stored votes (the snapshot at the statement's start)
# to tell first votes and replays. The upsert writes only a changed value: its
# conflict branch locks the stored vote and compares with its latest version,
# so a concurrent change of the same vote waits and is then compared with,
# and a replay stores nothing; clock_timestamp() is read there, after the lock,
# so timestamps and history rows follow the order votes were applied. The
# history row comes from the upsert's RETURNING.
# Measured (PostgreSQL CPU per vote, 4 connections): 0.82-0.90 ms one vote per
# statement, 0.23 ms ten per statement; the app's share of each round trip is
# divided likewise. `elicitation.vote_lane` gathers concurrent votes into one.
_TOKEN_VOTES_POSTGRESQL = """
WITH input AS (
    SELECT * FROM unnest(
        %(spaces)s::bigint[], %(tokens)s::text[], %(numbers)s::bigint[], %(vals)s::smallint[],
        %(ords)s::int[]
    ) AS i(space_id, token, number, value, ord)
), target AS (
    SELECT i.ord, i.value, p.id AS participant_id, p.number AS participant_number,
           st.id AS statement_id
    FROM input i
    JOIN {space} s ON s.id = i.space_id
    JOIN {participant} p ON p.space_id = s.id AND p.anon_token = i.token
    JOIN {statement} st ON st.space_id = s.id AND st.number = i.number
    WHERE s.participation = %(link)s AND s.phase = %(open)s
      AND (s.opens_at IS NULL OR s.opens_at <= now())
      AND (s.closes_at IS NULL OR now() < s.closes_at)
      AND s.statements_enabled AND st.status = %(accepted)s
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


def votes_cast_for_anon_tokens(votes: list[TokenVoteInput]) -> list[TokenVote | None]:
    """Cast token holders' votes in one SQL statement; None where the full path must decide.

    For anonymous participants of link spaces holding verified tokens, voting
    on accepted statements while the space takes input. Anything else (an
    unknown token or statement, a closed space...) gets None having changed
    nothing; so does every vote on databases but PostgreSQL (SQLite cannot
    write inside WITH), where the full path is the only one. Preconditions:
    each `value` is a VoteValue and no (space, token, statement) appears twice
    (one statement cannot update a row twice). A replay of the stored value
    changes nothing.
    """
    if connection.vendor != "postgresql" or not votes:
        return [None] * len(votes)
    sql = _TOKEN_VOTES_POSTGRESQL.format(
        space=Space._meta.db_table,
        participant=Participant._meta.db_table,
        statement=Statement._meta.db_table,
        vote=Vote._meta.db_table,
        event=VoteEvent._meta.db_table,
    )
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
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    results: list[TokenVote | None] = [None] * len(votes)
    for ord_, number, existed, new_updated_at, old_updated_at in rows:
        if new_updated_at is None:
            results[ord_] = TokenVote(number, old_updated_at, created=False, changed=False)
        else:
            results[ord_] = TokenVote(number, new_updated_at, created=not existed, changed=True)
    return results


# --- Pairwise ------------------------------------------------------------------


def _accepted_statements(space: Space, numbers: list[int], field: str) -> dict[int, Statement]:
    found = {
        s.number: s
        for s in Statement.objects.filter(space=space, number__in=numbers).only(
            "id", "number", "status", "text", "space_id"
        )
    }
    for number in numbers:
        statement = found.get(number)
        if statement is None:
            raise ValidationError({field: f"There is no statement #{number} here."})
        if statement.status != ModerationStatus.ACCEPTED:
            raise ValidationError({field: f"Statement #{number} is not open for this."})
    return found


def _int_or_error(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: "Give a statement number."})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Give a statement number."}) from None


@transaction.atomic
def comparison_record(
    *, participant: Participant, statement_a: Any, statement_b: Any, choice: str, reason: str = ""
) -> tuple[Comparison, bool]:
    """Record "which matters more?"; returns (comparison, created).

    Submitting the same pair again right after (a replay or a correction)
    updates that last comparison instead of adding a second one.
    """
    space = participant.space
    require_input(space, "pairwise")
    a = _int_or_error(statement_a, "statement_a")
    b = _int_or_error(statement_b, "statement_b")
    if a == b:
        raise ValidationError({"statement_b": "Compare two different statements."})
    if choice not in Comparison.Choice.values:
        raise ValidationError({"choice": "Choose a, b or neither (can't decide)."})
    reason = clean_text(reason)
    if len(reason) > 500:
        raise ValidationError({"reason": "A reason has at most 500 characters."})
    found = _accepted_statements(space, [a, b], "statement_a")
    last = (
        Comparison.objects.select_for_update()
        .filter(participant=participant)
        .order_by("-created_at", "-id")
        .first()
    )
    pair = {found[a].pk, found[b].pk}
    if last is not None and {last.statement_a_id, last.statement_b_id} == pair:
        # Keep the stored orientation; translate the choice if sides were swapped.
        if last.statement_a_id != found[a].pk and choice != Comparison.Choice.NEITHER:
            choice = Comparison.Choice.B if choice == Comparison.Choice.A else Comparison.Choice.A
        last.choice = choice
        last.reason = reason
        last.full_clean(exclude=["participant", "statement_a", "statement_b"])
        last.save(update_fields=["choice", "reason"])
        return last, False
    comparison = Comparison(
        participant=participant,
        statement_a=found[a],
        statement_b=found[b],
        choice=choice,
        reason=reason,
    )
    comparison.full_clean(exclude=["participant", "statement_a", "statement_b"])
    comparison.save()
    return comparison, True


# --- Ranking -----------------------------------------------------------------


def ranking_submit(*, participant: Participant, statement_numbers: list[Any]) -> Ranking:
    """Replace the participant's ballot with `statement_numbers`, first choice first."""
    space = participant.space
    require_input(space, "ranking")
    numbers = [_int_or_error(n, "statements") for n in statement_numbers]
    if not numbers:
        raise ValidationError({"statements": "Pick at least one statement to rank."})
    if len(numbers) > space.ranking_size:
        raise ValidationError(
            {
                "statements": f"Rank at most {space.ranking_size} statements; you gave {len(numbers)}."
            }
        )
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        listed = ", ".join(f"#{n}" for n in repeated)
        raise ValidationError({"statements": f"Each statement once only; repeated: {listed}."})
    found = _accepted_statements(space, numbers, "statements")
    with transaction.atomic():
        try:
            with transaction.atomic():
                ranking, _ = Ranking.objects.get_or_create(participant=participant)
        except IntegrityError:
            ranking = Ranking.objects.get(participant=participant)
        # Lock the ballot so two submissions replace it one after the other.
        ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
        RankingEntry.objects.filter(ranking=ranking).delete()
        RankingEntry.objects.bulk_create(
            [
                RankingEntry(ranking=ranking, statement=found[n], position=i)
                for i, n in enumerate(numbers, start=1)
            ]
        )
        ranking.updated_at = timezone.now()
        ranking.save(update_fields=["updated_at"])
    return ranking


# --- Debate --------------------------------------------------------------------


def argument_post(
    *,
    statement: Statement,
    participant: Participant,
    stance: str,
    text: str,
    parent: Argument | None = None,
) -> tuple[Argument, bool]:
    """Post an argument for or against a statement, or a reply; returns (argument, created).

    Moderated like statements. Posting the same text again is a replay: the
    existing argument is returned.
    """
    space = participant.space
    require_input(space, "debate")
    if statement.space_id != space.pk or statement.status != ModerationStatus.ACCEPTED:
        raise ValidationError({"statement": "Arguments are only for accepted statements."})
    if stance not in Argument.Stance.values:
        raise ValidationError({"stance": "Choose for or against."})
    cleaned = clean_text(text)
    if len(cleaned) < ARGUMENT_MIN_LENGTH:
        raise ValidationError(
            {"text": f"An argument needs at least {ARGUMENT_MIN_LENGTH} characters."}
        )
    if len(cleaned) > ARGUMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": f"An argument has at most {ARGUMENT_MAX_LENGTH} characters; "
                f"this one has {len(cleaned)}."
            }
        )
    if parent is not None and (
        parent.statement_id != statement.pk or parent.status != ModerationStatus.ACCEPTED
    ):
        raise ValidationError({"parent": "Reply to an accepted argument on this statement."})
    with transaction.atomic():
        replay = Argument.objects.filter(
            statement=statement, author=participant, parent=parent, stance=stance, text=cleaned
        ).first()
        if replay is not None:
            return replay, False
        argument = Argument(
            statement=statement,
            author=participant,
            parent=parent,
            stance=stance,
            text=cleaned,
            status=ModerationStatus.PENDING
            if space.moderation == Space.Moderation.PRE
            else ModerationStatus.ACCEPTED,
        )
        argument.full_clean(exclude=["statement", "author", "parent"])
        argument.save()
    return argument, True


@transaction.atomic
def argument_moderate(
    *, argument: Argument, actor: Any, decision: str, reason: str = ""
) -> Argument:
    """Approve, reject or restore an argument; logged publicly. The caller checked MODERATE."""
    reason = clean_text(reason)
    locked = (
        Argument.objects.select_for_update().select_related("statement__space").get(pk=argument.pk)
    )
    new_status, action = _moderation_transition(locked.status, decision, reason)
    locked.status = new_status
    locked.save(update_fields=["status"])
    if new_status == ModerationStatus.REJECTED:
        Flag.objects.filter(argument=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    _log(
        space=locked.statement.space,
        actor=actor,
        action=action,
        statement=locked.statement,
        argument=locked,
        reason=reason,
        detail={"statement": locked.statement.number, "argument": locked.pk},
    )
    return locked


# --- Flags -------------------------------------------------------------------


def flag_create(
    *,
    participant: Participant,
    reason: str,
    statement: Statement | None = None,
    argument: Argument | None = None,
) -> tuple[Flag, bool]:
    """Report a statement or an argument to the moderators; returns (flag, created).

    Flags stay possible in a closed space (a harmful text should still go).
    Reporting the same thing twice while the first report is open is a replay.
    """
    if (statement is None) == (argument is None):
        raise ValidationError("Flag either a statement or an argument.")
    target_space = statement.space_id if statement is not None else argument.statement.space_id  # type: ignore[union-attr]
    if target_space != participant.space_id:
        raise ValidationError({"statement": "That is not in this space."})
    reason = clean_text(reason)
    if len(reason) < 3:
        raise ValidationError({"reason": "Say briefly what is wrong (at least 3 characters)."})
    if len(reason) > FLAG_REASON_MAX_LENGTH:
        raise ValidationError({"reason": "A reason has at most 500 characters."})
    with transaction.atomic():
        open_flag = Flag.objects.filter(
            reporter=participant, statement=statement, argument=argument, resolved_at__isnull=True
        ).first()
        if open_flag is not None:
            return open_flag, False
        flag = Flag(reporter=participant, statement=statement, argument=argument, reason=reason)
        flag.full_clean(exclude=["reporter", "statement", "argument"])
        flag.save()
    return flag, True


@transaction.atomic
def flag_dismiss(*, flag: Flag, actor: Any, reason: str = "") -> Flag:
    """Close a flag without removing its target; logged publicly. The caller checked MODERATE."""
    locked = (
        # Lock only the flag row: PostgreSQL cannot lock the nullable side of the joins.
        Flag.objects.select_for_update(of=("self",))
        .select_related("statement__space", "argument__statement__space")
        .get(pk=flag.pk)
    )
    if locked.resolved_at is not None:
        raise ValidationError({"flag": "This flag is already resolved."})
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["resolved_at"])
    statement = locked.statement or (locked.argument.statement if locked.argument else None)
    assert statement is not None  # the check constraint guarantees one target
    _log(
        space=statement.space,
        actor=actor,
        action=ModerationAction.Action.DISMISS_FLAG,
        statement=statement,
        argument=locked.argument,
        reason=clean_text(reason),
        detail={"flag": locked.pk, "flag_reason": locked.reason},
    )
    return locked
