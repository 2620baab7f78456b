"""Application errors: what services raise when a rule says no.

No HTTP here: each error carries a machine `code` and a `message` for a
person, translated (`gettext`) into the language of the request that raised
it. The edges map the classes to HTTP statuses in one place each
(`config.api_errors.exception_handler` for the API, `config.api_errors.
http_status` for pages). Bad input keyed by field stays Django's
`ValidationError` (what `full_clean()` raises); the edges map it to 400.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A rule refused the action; nothing was changed."""

    default_code = "error"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        # Translated now (gettext_lazy messages too), in the request's language.
        self.message = str(message)
        super().__init__(self.message)
        self.code = code or self.default_code
        # Field messages, when a field is at fault (the API answers with them
        # instead of `detail`); `extra` is more machine-readable context.
        self.fields = fields
        self.extra = extra or {}


class NotFound(ApplicationError):
    """No such object, or the actor may not know it exists."""

    default_code = "not_found"


class Forbidden(ApplicationError):
    """The actor's role, or the space's settings, do not allow this."""

    default_code = "forbidden"


class Conflict(ApplicationError):
    """The current state forbids it (a closed space, a duplicate, a published profile)."""

    default_code = "conflict"


class Invalid(ApplicationError):
    """Bad input that is not one field's fault."""

    default_code = "invalid"


class Gone(ApplicationError):
    """It existed but can no longer be used (a revoked or expired invitation)."""

    default_code = "gone"
