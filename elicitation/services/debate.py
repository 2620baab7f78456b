"""Arguments for and against a statement."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from elicitation.models import (
    ARGUMENT_MAX_LENGTH,
    Argument,
    ModerationStatus,
    Participant,
    Space,
    Statement,
)
from elicitation.services.common import _require_input
from elicitation.text import clean_text, text_problem

ARGUMENT_MIN_LENGTH = 5


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
    _require_input(space, "debate")
    if statement.space_id != space.pk or statement.status != ModerationStatus.ACCEPTED:
        raise ValidationError({"statement": _("Arguments are only for accepted statements.")})
    if stance not in Argument.Stance.values:
        raise ValidationError({"stance": _("Choose for or against.")})
    cleaned = clean_text(text)
    problem = text_problem(cleaned)
    if problem:
        raise ValidationError({"text": problem})
    if len(cleaned) < ARGUMENT_MIN_LENGTH:
        raise ValidationError(
            {
                "text": _("An argument needs at least %(min)s characters.")
                % {"min": ARGUMENT_MIN_LENGTH}
            }
        )
    if len(cleaned) > ARGUMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": _("An argument has at most %(max)s characters; this one has %(length)s.")
                % {"max": ARGUMENT_MAX_LENGTH, "length": len(cleaned)}
            }
        )
    if parent is not None and (
        parent.statement_id != statement.pk or parent.status != ModerationStatus.ACCEPTED
    ):
        raise ValidationError({"parent": _("Reply to an accepted argument on this statement.")})
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
