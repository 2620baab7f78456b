"""Application errors to HTTP, in one place: the API's exception handler, the
status pages use, and the error responses every API endpoint documents.

DRF and the services answer the same way in every app: a 400 for bad input
(field errors or a detail), 401 without a login, 403 for a role that does
not allow the action, 404 for what does not exist or is hidden, 409 for a
state that forbids it, 410 for what can no longer be used, 429 when
throttled. An app passes `specific` wording only where it says more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.exceptions import ApplicationError, Conflict, Forbidden, Gone, Invalid, NotFound

# The one mapping from application errors to HTTP statuses (most specific first).
_STATUS: tuple[tuple[type[ApplicationError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Gone, 410),
    (Invalid, 400),
)


def http_status(error: ApplicationError) -> int:
    """The HTTP status of an application error, for the API and for pages."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


def validation_detail(error: DjangoValidationError) -> dict[str, Any]:
    """Django's ValidationError as an API body: messages per field, `detail` for the rest."""
    if hasattr(error, "error_dict"):
        # `detail` is one string everywhere (the documented error body); a
        # model constraint's message comes as a non-field error list.
        return {
            ("detail" if field == NON_FIELD_ERRORS else field): (
                " ".join(messages) if field == NON_FIELD_ERRORS else messages
            )
            for field, messages in error.message_dict.items()
        }
    return {"detail": " ".join(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: services' errors become answers here only.

    An application error answers `{"detail", "code"}` (or its field messages)
    plus its extra context; Django's ValidationError a 400 like DRF's own;
    everything else (Http404, PermissionDenied, throttling...) as DRF does.
    """
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = (
            dict(exc.fields) if exc.fields else {"detail": exc.message, "code": exc.code}
        )
        body.update(exc.extra)
        return Response(body, status=http_status(exc))
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_detail(exc))
    return drf_exception_handler(exc, context)


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    code = serializers.CharField(
        required=False,
        help_text="What went wrong, for a program: e.g. space_closed, activity_off, used_up.",
    )


# A 400's body: messages per field at fault (any field name), or one `detail`.
# (It was documented as a serializer with a literal `some_field`, which every
# real 400 violated.)
BAD_REQUEST_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What was wrong."}},
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ],
        "description": "Messages for the field named by the key.",
    },
}

STANDARD_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        BAD_REQUEST_SCHEMA,
        description='Bad input or a change the current state forbids: `{"field": ["message"]}` '
        'when a field is at fault, `{"detail": "message"}` otherwise. Nothing was changed.',
    ),
    401: OpenApiResponse(
        ErrorOutputSerializer,
        description="Not logged in (no session, or a missing, invalid or revoked token).",
    ),
    403: OpenApiResponse(ErrorOutputSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(
        ErrorOutputSerializer,
        description="No such object, or you may not see it (private community, banned).",
    ),
    409: OpenApiResponse(
        ErrorOutputSerializer, description="The current state forbids this; nothing was changed."
    ),
    410: OpenApiResponse(ErrorOutputSerializer, description="This can no longer be used."),
    429: OpenApiResponse(ErrorOutputSerializer, description="Too many requests; retry later."),
}


def error_responses(
    *codes: int, specific: Mapping[int, OpenApiResponse] | None = None
) -> dict[int, OpenApiResponse]:
    """{code: documented response} for `codes`, `specific` wording first."""
    specific = specific or {}
    return {code: specific.get(code) or STANDARD_ERRORS[code] for code in codes}
