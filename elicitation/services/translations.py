"""Translations of a space's title, question and description, and of its statements.

Only facilitators and moderators translate (`SpaceAccess.may_moderate`, from
`selectors.space_access`); every change goes into the public decision log,
since a statement's wording in any language is what people vote on. The
original text is never changed here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.exceptions import Forbidden, NotFound
from elicitation.languages import validate_content_language
from elicitation.models import (
    TRANSLATION_MAX_LENGTH,
    ModerationAction,
    Space,
    SpaceTranslation,
    Statement,
    StatementTranslation,
)
from elicitation.selectors.access import SpaceAccess
from elicitation.services.decisions import decision_log_append
from elicitation.text import STATEMENT_MIN_LENGTH, clean_text, text_problem

# How much of a changed description the decision log keeps.
_LOGGED_DESCRIPTION_CHARS = 300


def _require_translator(access: SpaceAccess) -> None:
    if not access.may_moderate:
        raise Forbidden(
            _("Only the space's facilitators and moderators may change its translations."),
            code="not_translator",
        )


def _validated_language(space: Space, language: str) -> str:
    language = (language or "").strip().lower()
    if not language:
        raise ValidationError({"language": _("Choose a language.")})
    try:
        validate_content_language(language)
    except ValidationError as exc:
        raise ValidationError({"language": exc.messages}) from exc
    if language == space.language:
        raise ValidationError(
            {
                "language": _(
                    "%(language)s is the space's own language; a translation is into another one."
                )
                % {"language": language}
            }
        )
    return language


def _problem_of(field: str, text: str) -> None:
    if "\x00" in text:
        raise ValidationError({field: _("The text contains a NUL character.")})
    problem = text_problem(text)
    if problem:
        raise ValidationError({field: problem})


def _validated_translation_text(text: str) -> str:
    """Statement text rules (elicitation.text), with TRANSLATION_MAX_LENGTH as the limit."""
    cleaned = clean_text(text)
    if not cleaned:
        raise ValidationError({"text": _("Write the translation first; it is empty.")})
    _problem_of("text", cleaned)
    if len(cleaned) < STATEMENT_MIN_LENGTH:
        raise ValidationError(
            {
                "text": _("A translation needs at least %(min)d characters.")
                % {"min": STATEMENT_MIN_LENGTH}
            }
        )
    if len(cleaned) > TRANSLATION_MAX_LENGTH:
        raise ValidationError(
            {
                "text": _("A translation has at most %(max)d characters; this one has %(n)d.")
                % {"max": TRANSLATION_MAX_LENGTH, "n": len(cleaned)}
            }
        )
    return cleaned


def _validated_space_fields(title: str, question: str, description: str) -> dict[str, str]:
    fields = {"title": clean_text(title), "question": clean_text(question)}
    for name, value in fields.items():
        if not value:
            raise ValidationError({name: _("This field is required.")})
        _problem_of(name, value)
    # The description keeps its paragraphs (the page shows its line breaks).
    fields["description"] = (description or "").strip()
    if fields["description"]:
        _problem_of("description", fields["description"])
    return fields


def _statement_in_space(access: SpaceAccess, statement: Statement) -> Statement:
    if statement.space_id != access.space.pk:
        raise NotFound(_("No such statement in this space."))
    # Locked: translations of one statement are written one at a time, so the
    # logged "before" is the text this change replaces and two facilitators
    # adding the same language at once cannot both insert.
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    locked.space = access.space
    return locked


@transaction.atomic
def statement_translation_set(
    *,
    access: SpaceAccess,
    actor: User | AnonymousUser | None,
    statement: Statement,
    language: str,
    text: str,
) -> tuple[StatementTranslation, bool]:
    """Add or replace the statement's translation into `language`; (translation, created).

    `access` is the actor's access to the statement's space (`selectors.space_access`);
    only facilitators and moderators may translate. Logged publicly; an
    unchanged text changes and logs nothing.
    """
    _require_translator(access)
    statement = _statement_in_space(access, statement)
    language = _validated_language(access.space, language)
    text = _validated_translation_text(text)
    user = actor if actor is not None and actor.is_authenticated else None
    existing = StatementTranslation.objects.filter(statement=statement, language=language).first()
    if existing is not None and existing.text == text:
        return existing, False
    previous = existing.text if existing is not None else None
    translation = existing or StatementTranslation(statement=statement, language=language)
    translation.text = text
    translation.added_by = user
    translation.full_clean(exclude=["statement", "added_by"])
    translation.save()
    decision_log_append(
        space=access.space,
        actor=actor,
        action=ModerationAction.Action.TRANSLATE,
        statement=statement,
        detail={
            "language": language,
            "change": "added" if previous is None else "updated",
            "text": text,
            **({"previous": previous} if previous is not None else {}),
        },
    )
    return translation, existing is None


@transaction.atomic
def statement_translation_remove(
    *,
    access: SpaceAccess,
    actor: User | AnonymousUser | None,
    statement: Statement,
    language: str,
) -> None:
    """Remove the statement's translation into `language` (NotFound if there is none); logged."""
    _require_translator(access)
    statement = _statement_in_space(access, statement)
    translation = StatementTranslation.objects.filter(
        statement=statement, language=language
    ).first()
    if translation is None:
        raise NotFound(
            _("Statement #%(number)d has no translation into %(language)s.")
            % {"number": statement.number, "language": language},
            code="no_translation",
        )
    translation.delete()
    decision_log_append(
        space=access.space,
        actor=actor,
        action=ModerationAction.Action.TRANSLATE,
        statement=statement,
        detail={"language": language, "change": "removed", "previous": translation.text},
    )


def _loggable_space_fields(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "description": fields["description"][:_LOGGED_DESCRIPTION_CHARS]}


@transaction.atomic
def space_translation_set(
    *,
    access: SpaceAccess,
    actor: User | AnonymousUser | None,
    language: str,
    title: str,
    question: str,
    description: str = "",
) -> tuple[SpaceTranslation, bool]:
    """Add or replace the space's title, question and description in `language`.

    Facilitators and moderators only (`access.may_moderate`); logged publicly
    with the changed fields. Returns (translation, created).
    """
    _require_translator(access)
    space = access.space
    language = _validated_language(space, language)
    fields = _validated_space_fields(title, question, description)
    # Locked: see _statement_in_space.
    Space.objects.select_for_update().filter(pk=space.pk).values_list("pk", flat=True).get()
    existing = SpaceTranslation.objects.filter(space=space, language=language).first()
    before = {name: getattr(existing, name) for name in fields} if existing is not None else None
    if before == fields:
        assert existing is not None
        return existing, False
    translation = existing or SpaceTranslation(space=space, language=language)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.updated_by = actor if actor is not None and actor.is_authenticated else None
    translation.full_clean(exclude=["space", "updated_by"])
    translation.save()
    detail: dict[str, Any] = {
        "language": language,
        "change": "added" if before is None else "updated",
        "space": _loggable_space_fields(fields),
    }
    if before is not None:
        detail["previous"] = _loggable_space_fields(before)
    decision_log_append(
        space=space, actor=actor, action=ModerationAction.Action.TRANSLATE, detail=detail
    )
    return translation, existing is None


@transaction.atomic
def space_translation_remove(
    *, access: SpaceAccess, actor: User | AnonymousUser | None, language: str
) -> None:
    """Remove the space's translation into `language` (NotFound if there is none); logged."""
    _require_translator(access)
    space = access.space
    translation = SpaceTranslation.objects.filter(space=space, language=language).first()
    if translation is None:
        raise NotFound(
            _("The space has no translation into %(language)s.") % {"language": language},
            code="no_translation",
        )
    translation.delete()
    decision_log_append(
        space=space,
        actor=actor,
        action=ModerationAction.Action.TRANSLATE,
        detail={
            "language": language,
            "change": "removed",
            "previous": _loggable_space_fields(
                {
                    "title": translation.title,
                    "question": translation.question,
                    "description": translation.description,
                }
            ),
        },
    )
