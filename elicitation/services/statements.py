"""Proposing and seeding statements (with the near-duplicate check)."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from config.exceptions import Conflict
from elicitation.models import (
    STATEMENT_MAX_LENGTH,
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    VoteValue,
)
from elicitation.services.common import _next_counter, _require_input
from elicitation.services.decisions import decision_log_append
from elicitation.services.similarity import (
    SimilarStatements,
    statement_embedding_store,
    statements_similar,
)

# The one vote writer: the implied agree is checked by construction (the
# author belongs to the space, the statement was just created in it).
from elicitation.services.votes import _vote_store as vote_store
from elicitation.text import (
    NEAR_DUPLICATE_RATIO,
    STATEMENT_MIN_LENGTH,
    clean_text,
    fold_text,
    is_near_duplicate,
    text_problem,
)

logger = logging.getLogger(__name__)


class DuplicateStatement(Conflict):
    """A statement with the same or nearly the same text exists in the space."""

    def __init__(self, existing: Statement) -> None:
        message = _(
            "This says the same as statement #%(number)s: “%(text)s”. Vote on that one instead."
        ) % {"number": existing.number, "text": existing.text}
        super().__init__(
            message,
            code="duplicate",
            fields={"text": [message]},
            extra={
                "duplicate_of": {
                    "number": existing.number,
                    "text": existing.text,
                    "url": existing.get_absolute_url(),
                }
            },
        )
        self.existing = existing


def _validated_statement_text(text: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise ValidationError({"text": _("Write a statement first; it is empty.")})
    problem = text_problem(cleaned)
    if problem:
        raise ValidationError({"text": problem})
    if len(cleaned) < STATEMENT_MIN_LENGTH:
        raise ValidationError(
            {
                "text": _("A statement needs at least %(min)s characters.")
                % {"min": STATEMENT_MIN_LENGTH}
            }
        )
    if len(cleaned) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": _("A statement has at most %(max)s characters; this one has %(length)s.")
                % {"max": STATEMENT_MAX_LENGTH, "length": len(cleaned)}
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
        raise ValidationError({"text": _("A statement needs words, not only punctuation.")})
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
    *,
    space: Space,
    participant: Participant,
    text: str,
    is_meta: bool = False,
    distinct: bool = False,
) -> Statement:
    """A participant proposes a statement; pending under pre-moderation, else accepted.

    Raises DuplicateStatement for the same text (spelling rules, always) and
    SimilarStatements when accepted statements say the same by meaning,
    unless the proposer confirmed it says something different (`distinct`).

    The author agrees with what they wrote (Pol.is's implied agree): the
    proposal stores their agree vote, with its history event at proposal
    time, so they are never asked to vote on it and it counts once accepted.
    """
    _require_input(space, "statements")
    status = (
        ModerationStatus.PENDING
        if space.moderation == Space.Moderation.PRE
        else ModerationStatus.ACCEPTED
    )
    cleaned = _validated_statement_text(text)
    # The spelling rules first: a copy is a "duplicate", never merely "similar".
    duplicate = statement_find_duplicate(space=space, folded=fold_text(cleaned))
    if duplicate is not None:
        raise DuplicateStatement(duplicate)
    # The model runs outside the transaction that locks the space's counter.
    matches, vector = statements_similar(space=space, text=cleaned)
    if matches and not distinct:
        raise SimilarStatements(matches, space_id=space.pk)
    with transaction.atomic():
        statement = _statement_create(
            space=space,
            text=text,
            author=participant,
            is_seed=False,
            is_meta=is_meta,
            status=status,
        )
        if vector is not None:
            statement_embedding_store(statement=statement, vector=vector)
        vote_store(participant_id=participant.pk, statement_id=statement.pk, value=VoteValue.AGREE)
    return statement


def statement_seed(
    *, space: Space, actor: User | AnonymousUser | None, text: str, is_meta: bool = False
) -> Statement:
    """A facilitator adds a seed statement (accepted at once, also in draft spaces)."""
    if space.phase == Space.Phase.CLOSED:
        raise Conflict(
            _("This space is closed; it accepts no new statements."), code="space_closed"
        )
    with transaction.atomic():
        statement = _statement_create(
            space=space,
            text=text,
            author=None,
            is_seed=True,
            is_meta=is_meta,
            status=ModerationStatus.ACCEPTED,
        )
        decision_log_append(
            space=space,
            actor=actor,
            action=ModerationAction.Action.APPROVE,
            statement=statement,
            reason="Seed statement added by a facilitator.",
        )
        statements_embed_later(space.pk)
    return statement


def statements_embed_later(space_id: int) -> None:
    """Have the worker embed the space's new statements once this transaction commits.

    Best effort: with the broker down nothing is lost, since every analysis
    run embeds what is still missing before it reads the space.
    """
    from elicitation.tasks import statements_embed

    def send() -> None:
        try:
            statements_embed.delay(space_id)
        except Exception:  # the broker is down; the next analysis run catches up
            logger.warning("Could not queue the embedding of space %s's statements", space_id)

    transaction.on_commit(send)
