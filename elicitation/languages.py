"""The languages a space's content may be written or translated in: settings.LANGUAGES.

Read at call time, not baked into model choices, so a change of
settings.LANGUAGES needs no migration. Kept free of the ORM.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import get_language_info as _django_language_info

LANGUAGE_CODE_MAX_LENGTH = 10


def content_languages() -> dict[str, str]:
    """Language code -> its name in the reader's language, in settings.LANGUAGES order."""
    return {code: language_name(code) for code, _name in settings.LANGUAGES}


def default_content_language() -> str:
    """A new space's original language: the site's LANGUAGE_CODE (settings)."""
    return str(settings.LANGUAGE_CODE)


def validate_content_language(value: str) -> None:
    """Refuse a code that is not one of settings.LANGUAGES, naming the allowed ones."""
    if value not in content_languages():
        raise ValidationError(
            gettext_lazy("Unknown language %(value)r; choose one of %(choices)s."),
            code="invalid_language",
            params={"value": value, "choices": ", ".join(content_languages())},
        )


def active_content_language() -> str:
    """The request's language (LocaleMiddleware) as one of settings.LANGUAGES.

    A regional variant falls back to its base language ("de-at" -> "de"), and
    anything else to LANGUAGE_CODE.
    """
    languages = content_languages()
    active = (get_language() or default_content_language()).lower()
    if active in languages:
        return active
    base = active.split("-")[0]
    return base if base in languages else default_content_language()


def language_name(code: str) -> str:
    """The language's name in the reader's language ("German" for an English reader,
    "Deutsch" for a German one), whatever settings.LANGUAGES calls it."""
    try:
        return str(_django_language_info(code)["name_translated"])
    except KeyError:
        return dict(settings.LANGUAGES).get(code, code)
