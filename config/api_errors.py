"""The error responses every API endpoint documents, in one table.

DRF and the services answer the same way in every app: a 400 for bad input
(field errors or a detail), 401 without a login, 403 for a role that does
not allow the action, 404 for what does not exist or is hidden, 429 when
throttled. An app passes `specific` wording only where it says more.
"""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


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
    429: OpenApiResponse(ErrorOutputSerializer, description="Too many requests; retry later."),
}


def error_responses(
    *codes: int, specific: Mapping[int, OpenApiResponse] | None = None
) -> dict[int, OpenApiResponse]:
    """{code: documented response} for `codes`, `specific` wording first."""
    specific = specific or {}
    return {code: specific.get(code) or STANDARD_ERRORS[code] for code in codes}
