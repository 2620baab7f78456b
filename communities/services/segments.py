"""Segment questions and members' answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import Community, SegmentAnswer, SegmentQuestion
from communities.services.common import _active_membership, _lock_community
from config.exceptions import Conflict, Forbidden, NotFound

MAX_SEGMENT_QUESTIONS = 5
MAX_SEGMENT_CHOICES = 12


def _clean_choices(choices: Sequence[str]) -> list[str]:
    cleaned = [" ".join(str(c).split()) for c in choices]
    if any(not c for c in cleaned):
        raise ValidationError({"choices": _("Choices cannot be empty.")})
    if len(cleaned) < 2 or len(cleaned) > MAX_SEGMENT_CHOICES:
        raise ValidationError(
            {"choices": _("Give between 2 and %(max)d choices.") % {"max": MAX_SEGMENT_CHOICES}}
        )
    if any(len(c) > 120 for c in cleaned):
        raise ValidationError({"choices": _("Each choice may have at most 120 characters.")})
    if len({c.casefold() for c in cleaned}) != len(cleaned):
        raise ValidationError({"choices": _("Each choice must be different.")})
    return cleaned


@transaction.atomic
def segment_question_create(
    *, community: Community, label: str, choices: Sequence[str]
) -> SegmentQuestion:
    """Add an optional question with fixed choices (a community has at most a few).

    The caller checked MANAGE_SEGMENTS.
    """
    community = _lock_community(community)
    count = SegmentQuestion.objects.filter(community=community).count()
    if count >= MAX_SEGMENT_QUESTIONS:
        raise Conflict(
            _("A community has at most %(max)d segment questions.")
            % {"max": MAX_SEGMENT_QUESTIONS},
            code="too_many",
        )
    label = " ".join(label.split())
    if len(label) < 2:
        raise ValidationError({"label": _("The question needs at least 2 characters.")})
    question = SegmentQuestion(
        community=community, label=label, choices=_clean_choices(choices), position=count
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def segment_question_delete(*, community: Community, question_id: int) -> None:
    """Delete a question and every answer to it; the caller checked MANAGE_SEGMENTS."""
    question = SegmentQuestion.objects.filter(pk=question_id, community=community).first()
    if question is None:
        raise NotFound(_("No such segment question in this community."))
    question.delete()


@transaction.atomic
def segment_answers_set(
    *, user: User | AnonymousUser, community: Community, answers: Mapping[int, str | None]
) -> dict[int, str]:
    """Set the user's own answers; None or "" removes an answer ("prefer not to say").

    Questions not mentioned keep their answer. Returns all the user's answers.
    """
    membership = _active_membership(user, community)
    if membership is None:
        raise Forbidden(
            _("Only members of %(community)s answer its questions.")
            % {"community": community.name},
            code="not_member",
        )
    questions = {q.pk: q for q in SegmentQuestion.objects.filter(community=community)}
    errors: dict[str, str] = {}
    for question_id, choice in answers.items():
        question = questions.get(question_id)
        if question is None:
            errors[str(question_id)] = _("No such question in this community.")
        elif choice and choice not in question.choices:
            errors[str(question_id)] = _(
                "“%(choice)s” is not one of the choices for “%(question)s”."
            ) % {"choice": choice, "question": question.label}
    if errors:
        raise ValidationError(errors)
    for question_id, choice in answers.items():
        if choice:
            SegmentAnswer.objects.update_or_create(
                membership=membership, question_id=question_id, defaults={"choice": choice}
            )
        else:
            SegmentAnswer.objects.filter(membership=membership, question_id=question_id).delete()
    return dict(
        SegmentAnswer.objects.filter(membership=membership).values_list("question_id", "choice")
    )
