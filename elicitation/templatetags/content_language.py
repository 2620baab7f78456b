"""Showing a space's content in the reader's language: `selectors.translations` decides, these print.

{% space_shown space as shown %}  the space's title/question/description (ShownSpace)
{% shown_text s %}               the text a reader sees, in an element with its `lang`
{% shown_original s %}           "Translated from X · show original" (<details>), or nothing
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from elicitation.languages import active_content_language
from elicitation.models import Space
from elicitation.selectors.translations import ShownSpace, ShownText, space_shown

register = template.Library()


@register.simple_tag(name="space_shown")
def space_shown_tag(space: Space) -> ShownSpace:
    return space_shown(space=space, language=active_content_language())


def _shown_of(item: Any) -> ShownText | None:
    if isinstance(item, ShownText):
        return item
    shown = item.get("shown") if isinstance(item, dict) else getattr(item, "shown", None)
    return shown if isinstance(shown, ShownText) else None


@register.simple_tag
def shown_text(item: Any) -> SafeString:
    """The text with its `lang` (the original's text when nothing chose one for it)."""
    shown = _shown_of(item)
    if shown is None:
        text = item.get("text", "") if isinstance(item, dict) else getattr(item, "text", "")
        return format_html("{}", text)
    return format_html('<span lang="{}">{}</span>', shown.language, shown.text)


@register.simple_tag
def shown_original(item: Any) -> SafeString:
    """The toggle to the original when the text shown is a translation; works without JS."""
    shown = _shown_of(item)
    if shown is None or not shown.translated:
        return SafeString("")
    return SafeString(render_to_string("elicitation/_shown_original.html", {"shown": shown}))
