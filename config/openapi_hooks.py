"""Answers any API operation may give, added to the OpenAPI document where an operation lacks them.

Each endpoint documents its own errors (config/api_errors.py). Three come from
layers in front of every endpoint, so every operation can give them:

- 400 from the input guard (config/input_guard.py): a NUL character in the
  path or the query string, or a number too large for the database;
- 401 with `WWW-Authenticate: Token` from the token authentication, for a
  missing, invalid or revoked token, also where a visitor may read anonymously,
  and from the space endpoints for an expired participant token;
- 415 from DRF's parsers, for a body sent without a supported content type
  (only operations that take a body);
- 503 when the database does not answer (config/errors.py), with Retry-After.

Found by the schema gate (tests/gates/test_api_schema.py): a correct refusal
the document does not list breaks clients generated from it.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/ErrorOutput"}
GENERIC_400 = {
    "description": 'Bad input: `{"detail": "message"}`, or messages per field. Nothing was changed.',
    "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
}
UNAUTHENTICATED = {
    "description": "The token is invalid or revoked, an X-Participant-Token has expired "
    "(join again for a new one), or a login is needed.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`."}},
    "content": {"application/json": {"schema": ERROR}},
}
UNSUPPORTED = {
    "description": "The body's content type is not one this operation reads (send JSON).",
    "content": {"application/json": {"schema": ERROR}},
}
UNAVAILABLE = {
    "description": "The database did not answer; retry after the seconds in Retry-After.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
    "content": {"application/json": {"schema": ERROR}},
}


def add_shared_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    if "ErrorOutput" not in result.get("components", {}).get("schemas", {}):
        return result
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("400", GENERIC_400)
            schemes = {name for option in operation.get("security", []) for name in option}
            if "tokenAuth" in schemes and "401" not in responses:
                # Negotiated formats (CSV, Markdown) render the error in the
                # format asked for, as the operation's 404 already documents.
                content = responses.get("404", {}).get("content")
                responses["401"] = {**UNAUTHENTICATED, **({"content": content} if content else {})}
            if "requestBody" in operation:
                responses.setdefault("415", UNSUPPORTED)
            responses.setdefault("503", UNAVAILABLE)
    return result
