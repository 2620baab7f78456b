"""DRF renderers and content negotiation for value-profile exports (JSON, CSV, Markdown)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from aggregation import profiles


def _is_profile(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("schema") == profiles.SCHEMA


def _error_text(data: Any) -> str:
    """Errors (404, 403, 406 ...) rendered as plain lines in the text formats."""
    if isinstance(data, Mapping):
        return "\n".join(f"{key}: {value}" for key, value in data.items()) + "\n"
    return f"{data}\n" if data is not None else ""


class ProfileCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        text = profiles.to_csv(data) if _is_profile(data) else _error_text(data)
        return text.encode("utf-8")


class ProfileMarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        text = profiles.to_markdown(data) if _is_profile(data) else _error_text(data)
        return text.encode("utf-8")


class ProfileMarkdownAliasRenderer(ProfileMarkdownRenderer):
    """`?format=markdown` as well as `?format=md`."""

    format = "markdown"


PROFILE_RENDERERS = [
    JSONRenderer,
    ProfileCSVRenderer,
    ProfileMarkdownRenderer,
    ProfileMarkdownAliasRenderer,
]


class ProfileNegotiation(DefaultContentNegotiation):
    """Like DRF's, but an unknown `?format=` is a 406 that names the formats (not a bare 404)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        fmt = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "")
        renderers = list(renderers)
        if fmt and fmt not in {r.format for r in renderers}:
            raise NotAcceptable(
                f"Unknown format {fmt!r}: use format=json, format=csv or format=md "
                "(or an Accept header: application/json, text/csv, text/markdown)."
            )
        return super().select_renderer(request, renderers, format_suffix)
