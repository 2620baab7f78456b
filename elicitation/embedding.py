"""Embedding a space in another site: which origins may frame /s/<id>/embed/.

A facilitator lists origins (scheme, host, optional port) one a line, or "*"
for any site. The embed page's response extends the Content-Security-Policy's
`frame-ancestors` with them (config.security.csp_extend); every other page
keeps `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from elicitation.models import Space

ANY_SITE = "*"


def embed_origins_parse(text: str) -> list[str]:
    """The origins in `text` (one a line), normalised; ValidationError naming a bad line."""
    origins: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value:
            continue
        if value == ANY_SITE:
            origins.append(ANY_SITE)
            continue
        origin = _origin(value)
        if origin is None:
            raise ValidationError(
                {
                    "embed_origins": _(
                        "Line %(number)s (%(value)r) is not an origin: write https://host or "
                        "https://host:port (no path, no spaces), or * for any site."
                    )
                    % {"number": number, "value": value}
                }
            )
        if origin not in origins:
            origins.append(origin)
    return origins


def _origin(value: str) -> str | None:
    if any(c.isspace() or c in ";,'\"" for c in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def frame_ancestors(space: Space) -> list[str]:
    """CSP sources allowed to frame the space's embed page; empty when none may."""
    if space.participation != Space.Participation.LINK:
        return []
    try:
        origins = embed_origins_parse(space.embed_origins)
    except ValidationError:  # saved before validation existed: frame nothing
        return []
    return origins
