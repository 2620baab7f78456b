"""DRF renderers and content negotiation for value-profile exports.

The profile itself as JSON, CSV or Markdown, and the exports for AI work
(aggregation.exports): a constitution in JSON or Markdown, preference data
and an evaluation set in JSON Lines. The export view turns the profile into
the export's data; these renderers only serialise it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from aggregation import exports, profiles


def _is_profile(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("schema") == profiles.SCHEMA


def _is_constitution(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("schema") == exports.CONSTITUTION_SCHEMA


def _error_text(data: Any) -> str:
    """Errors (404, 403, 406 ...) rendered as plain lines in the text formats."""
    if isinstance(data, Mapping):
        return "\n".join(f"{key}: {value}" for key, value in data.items()) + "\n"
    return f"{data}\n" if data is not None else ""


class _TextRenderer(BaseRenderer):
    """A text format of one kind of document; anything else (an error) as plain lines."""

    charset = "utf-8"

    def is_document(self, data: Any) -> bool:
        raise NotImplementedError

    def to_text(self, data: Any) -> str:
        raise NotImplementedError

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        text = self.to_text(data) if self.is_document(data) else _error_text(data)
        return text.encode("utf-8")


class ProfileCSVRenderer(_TextRenderer):
    media_type = "text/csv"
    format = "csv"

    def is_document(self, data: Any) -> bool:
        return _is_profile(data)

    def to_text(self, data: Any) -> str:
        return profiles.to_csv(data)


class ProfileMarkdownRenderer(_TextRenderer):
    media_type = "text/markdown"
    format = "md"

    def is_document(self, data: Any) -> bool:
        return _is_profile(data)

    def to_text(self, data: Any) -> str:
        return profiles.to_markdown(data)


class ProfileMarkdownAliasRenderer(ProfileMarkdownRenderer):
    """`?format=markdown` as well as `?format=md`."""

    format = "markdown"


class ConstitutionRenderer(JSONRenderer):
    """`?format=constitution`: the value-constitution/1 document as JSON."""

    format = "constitution"


class ConstitutionMarkdownRenderer(_TextRenderer):
    """`?format=constitution-md`: the constitution as a readable text."""

    media_type = "text/markdown"
    format = "constitution-md"

    def is_document(self, data: Any) -> bool:
        return _is_constitution(data)

    def to_text(self, data: Any) -> str:
        return exports.constitution_markdown(data)


class JSONLinesRenderer(BaseRenderer):
    """A list of records, one JSON object per line; an error is one line too."""

    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, list):
            return exports.to_jsonl(data).encode("utf-8")
        return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


class PreferencesRenderer(JSONLinesRenderer):
    """`?format=preferences`: preference-record/1 lines."""

    format = "preferences"


class EvalRenderer(JSONLinesRenderer):
    """`?format=eval`: pluralistic-eval-record/1 lines."""

    format = "eval"


PROFILE_RENDERERS = [
    JSONRenderer,
    ProfileCSVRenderer,
    ProfileMarkdownRenderer,
    ProfileMarkdownAliasRenderer,
    ConstitutionRenderer,
    ConstitutionMarkdownRenderer,
    PreferencesRenderer,
    EvalRenderer,
]
FORMATS = ("json", "csv", "md", "constitution", "constitution-md", "preferences", "eval")


class ProfileNegotiation(DefaultContentNegotiation):
    """Like DRF's, but an unknown `?format=` is a 406 that names the formats (not a bare 404)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        fmt = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "")
        renderers = list(renderers)
        if fmt and fmt not in {r.format for r in renderers}:
            raise NotAcceptable(
                _(
                    "Unknown format %(format)r: use %(formats)s (or an Accept header: "
                    "application/json, text/csv, text/markdown)."
                )
                % {"format": fmt, "formats": "format=" + ", format=".join(FORMATS)}
            )
        return super().select_renderer(request, renderers, format_suffix)
