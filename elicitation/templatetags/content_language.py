"""Showing a space's content in the reader's language: `selectors.translations` decides, these print.

{% space_shown space as shown %}  the space's title/question/description (ShownSpace)
{% shown_text s %}               the text a reader sees, in a <span> with its `lang`
{% shown_original s %}           "Translated from X · show original" (<details>), or nothing

`s` is a Statement or a result dict carrying `shown` (`selectors.statements_shown`),
or a result dict with a number ("number", or "statement" in profiles) and a
"text" that the page's `shown_texts` (`selectors.statement_texts_shown`) translates.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from elicitation.languages import active_content_language
from elicitation.models import Space
from elicitation.selectors.translations import ShownSpace, ShownText, shown_for, space_shown

register = template.Library()


@register.simple_tag(name="space_shown")
def space_shown_tag(space: Space) -> ShownSpace:
    return space_shown(space=space, language=active_content_language())


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _shown_of(context: template.Context, item: Any) -> ShownText | None:
    if isinstance(item, ShownText):
        return item
    shown = _get(item, "shown")
    if isinstance(shown, ShownText):
        return shown
    space = context.get("space")
    if not isinstance(space, Space):
        return None
    number = _get(item, "number")
    if number is None:
        number = _get(item, "statement")
    return shown_for(
        space=space,
        number=number,
        original=str(_get(item, "text") or ""),
        shown_texts=context.get("shown_texts") or {},
    )


@register.simple_tag(takes_context=True)
def shown_text(context: template.Context, item: Any) -> SafeString:
    """The text with its `lang` (the original's text when nothing chose one for it)."""
    shown = _shown_of(context, item)
    if shown is None:
        return format_html("{}", _get(item, "text") or "")
    return format_html('<span lang="{}">{}</span>', shown.language, shown.text)


@register.simple_tag(takes_context=True)
def shown_original(context: template.Context, item: Any) -> SafeString:
    """The toggle to the original when the text shown is a translation; works without JS."""
    shown = _shown_of(context, item)
    if shown is None or not shown.translated:
        return SafeString("")
    return SafeString(render_to_string("elicitation/_shown_original.html", {"shown": shown}))
