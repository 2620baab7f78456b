"""Which text a reader sees: the translation into their language if there is one, else the original.

`shown_text` is the one rule; everything else here only fetches what it needs
in one query per list (never one per statement) and attaches the result as
`shown` (an attribute of a Statement, a key of a result dict). When the
reader's language is the space's own, nothing is fetched at all.

Exports, value profiles and the API's `text` fields keep the original: only
what a page shows a reader is chosen here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Prefetch, QuerySet

from elicitation.languages import content_languages, language_name
from elicitation.models import (
    ModerationStatus,
    Space,
    SpaceTranslation,
    Statement,
    StatementTranslation,
)


@dataclass(frozen=True)
class ShownText:
    """A text as one reader sees it, with the original beside it."""

    text: str
    language: str
    original: str
    original_language: str

    @property
    def translated(self) -> bool:
        return self.language != self.original_language

    @property
    def original_language_name(self) -> str:
        return language_name(self.original_language)


def shown_text(
    *, original: str, original_language: str, translations: Mapping[str, str], language: str
) -> ShownText:
    """The one rule: the translation into `language` when there is a non-empty one, else the original."""
    translated = translations.get(language, "") if language != original_language else ""
    if translated:
        return ShownText(translated, language, original, original_language)
    return ShownText(original, original_language, original, original_language)


@dataclass(frozen=True)
class ShownSpace:
    title: ShownText
    question: ShownText
    description: ShownText

    @property
    def translated(self) -> bool:
        return self.title.translated or self.question.translated or self.description.translated


def space_shown(*, space: Space, language: str) -> ShownSpace:
    """The space's title, question and description for a reader of `language`.

    One query, none when `language` is the space's own; cached on the space
    object, so every template of a page asking again costs nothing.
    """
    cache: dict[str, ShownSpace] = space.__dict__.setdefault("_shown_cache", {})
    if language in cache:
        return cache[language]
    translation = None
    if language != space.language:
        translation = SpaceTranslation.objects.filter(space=space, language=language).first()
    shown = ShownSpace(
        **{
            name: shown_text(
                original=getattr(space, name),
                original_language=space.language,
                translations={language: getattr(translation, name)} if translation else {},
                language=language,
            )
            for name in ("title", "question", "description")
        }
    )
    cache[language] = shown
    return shown


def statement_texts_shown(
    *, space: Space, numbers: Iterable[Any], language: str
) -> dict[int, ShownText]:
    """Statement number -> its ShownText in `language`, for those of `numbers` that have a
    translation: one query (none when `language` is the space's own or no number is given).

    A result dict (a value profile, a report) names statements by number; its
    text is the original when the ShownText's `original` equals it.
    """
    wanted = {n for n in numbers if isinstance(n, int) and not isinstance(n, bool)}
    if language == space.language or not wanted:
        return {}
    rows = StatementTranslation.objects.filter(
        statement__space=space, statement__number__in=wanted, language=language
    ).values_list("statement__number", "statement__text", "text")
    return {
        number: shown_text(
            original=original,
            original_language=space.language,
            translations={language: text},
            language=language,
        )
        for number, original, text in rows
    }


Item = TypeVar("Item", Statement, dict[str, Any])


def _number_of(item: Statement | dict[str, Any]) -> Any:
    if isinstance(item, Statement):
        return item.number
    return item.get("number", item.get("statement"))


def shown_for(
    *, space: Space, number: Any, original: str, shown_texts: Mapping[int, ShownText]
) -> ShownText:
    """The ShownText of statement `number` whose original is `original`: its translation
    when `shown_texts` has one of that same original, else the original itself."""
    shown = shown_texts.get(number) if isinstance(number, int) else None
    if shown is not None and shown.original == original:
        return shown
    return ShownText(original, space.language, original, space.language)


def statements_shown(
    *, space: Space, items: Sequence[Item], language: str, text_key: str = "text"
) -> Sequence[Item]:
    """Attach `shown` (a ShownText) to each statement or result dict in `items`; one query.

    Dicts name their statement by "number" (or "statement", as profiles do)
    and carry the original under `text_key`.
    """
    shown_texts = statement_texts_shown(
        space=space, numbers=[_number_of(item) for item in items], language=language
    )
    for item in items:
        original = item.text if isinstance(item, Statement) else str(item.get(text_key, ""))
        shown = shown_for(
            space=space, number=_number_of(item), original=original, shown_texts=shown_texts
        )
        if isinstance(item, Statement):
            item.shown = shown  # type: ignore[attr-defined]
        else:
            item["shown"] = shown
    return items


def statement_shown(*, statement: Statement, language: str) -> ShownText:
    """One statement's ShownText (statement.space must be the loaded space)."""
    statements_shown(space=statement.space, items=[statement], language=language)
    return statement.shown  # type: ignore[attr-defined]


def statements_for_translation(
    *, space: Space, language: str, missing_only: bool
) -> QuerySet[Statement]:
    """The space's statements (not rejected) for a translator of `language`, each with
    `language_translations` (its translation into `language`, a list of at most one),
    in two queries whatever the page size."""
    statements = (
        Statement.objects.filter(space=space)
        .exclude(status=ModerationStatus.REJECTED)
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=StatementTranslation.objects.filter(language=language),
                to_attr="language_translations",
            )
        )
        .order_by("number")
    )
    if missing_only:
        statements = statements.exclude(translations__language=language)
    return statements


@dataclass(frozen=True)
class TranslationProgress:
    language: str
    name: str
    statements: int  # translated statements (not rejected)
    total: int
    space: bool  # the title and question are translated

    @property
    def missing(self) -> int:
        return self.total - self.statements


def translation_progress(*, space: Space) -> list[TranslationProgress]:
    """For each language other than the space's own: how much is translated (two queries)."""
    live = Statement.objects.filter(space=space).exclude(status=ModerationStatus.REJECTED)
    total = live.count()
    done = dict(
        StatementTranslation.objects.filter(statement__in=live)
        .values("language")
        .annotate(n=Count("id"))
        .values_list("language", "n")
    )
    spaces = set(SpaceTranslation.objects.filter(space=space).values_list("language", flat=True))
    return [
        TranslationProgress(code, name, done.get(code, 0), total, code in spaces)
        for code, name in content_languages().items()
        if code != space.language
    ]
