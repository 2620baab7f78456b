"""The API's JSON parser, with a nesting limit.

Python's json module recurses once per level of nesting: a body of 1,000
opening brackets raised RecursionError, which no handler expected (a 500).
No request of this API nests more than a few levels, so anything deeper than
MAX_JSON_DEPTH is refused with a 400 before any view sees it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests deeper than `limit` (iterative: no recursion of its own)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads_bounded(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """json.loads that raises ValueError for nesting beyond `limit` (never RecursionError)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError(
            _("JSON nested more than %(limit)d levels deep.") % {"limit": limit}
        ) from None
    if json_depth_exceeds(data, limit):
        raise ValueError(_("JSON nested more than %(limit)d levels deep.") % {"limit": limit})
    return data


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads_bounded(text)
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
