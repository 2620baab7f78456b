"""Answers any API operation may give, added to the OpenAPI document where an operation lacks them.

Each endpoint documents its own errors (config/api_errors.py). These come
from layers in front of every endpoint, so every operation can give them:

- 400 from the input guard (config/input_guard.py): a NUL character in the
  path or the query string, or a number too large for the database;
- 401 with `WWW-Authenticate: Token` from the token authentication, for a
  missing, invalid or revoked token, also where a visitor may read
  anonymously (and, on a space's endpoints, for an expired participant
  token); in the operation's own media types where it has several
  (negotiated CSV or Markdown render the error in the format asked for);
- 415 from DRF's parsers, for a body sent without a supported content type
  (only operations that take a body);
- 503 when the database does not answer (config/errors.py), with Retry-After.

Found by the schema gate (tests/gates/test_api_schema.py): a correct refusal
the document does not list breaks clients generated from it.
"""

from __future__ import annotations

from typing import Any

from config.api_errors import BAD_REQUEST_SCHEMA

ERROR = {"$ref": "#/components/schemas/ErrorOutput"}
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
GUARD_400 = {
    "description": "A NUL character in the query string or the path.",
    "content": {"application/json": {"schema": BAD_REQUEST_SCHEMA}},
}
UNAUTHENTICATED = (
    "Not logged in, an invalid or revoked token, or an expired X-Participant-Token (join again "
    "for a new one); the answer carries `WWW-Authenticate: Token`."
)
UNSUPPORTED = {
    "description": "The body's content type is not one this operation reads (send JSON).",
    "content": {"application/json": {"schema": ERROR}},
}
UNAVAILABLE = {
    "description": "The database did not answer; retry after the seconds in Retry-After.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
    "content": {"application/json": {"schema": ERROR}},
}


def _unauthenticated(responses: dict[str, Any]) -> dict[str, Any]:
    """The 401, in every media type the operation answers in (JSON at least)."""
    media = {"application/json"}
    for code, response in responses.items():
        if str(code).startswith("2") and isinstance(response, dict):
            media.update(response.get("content", {}))
    content = {
        kind: {"schema": DETAIL if "json" in kind else {"type": "string"}} for kind in sorted(media)
    }
    return {"description": UNAUTHENTICATED, "content": content}


def add_shared_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    paths = result.get("paths")
    if not isinstance(paths, dict):
        return result
    has_error_schema = "ErrorOutput" in result.get("components", {}).get("schemas", {})
    for path, operations in paths.items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("401", _unauthenticated(responses))
            responses.setdefault("400", GUARD_400)
            if not (has_error_schema and path.startswith("/api/")):
                continue
            if "requestBody" in operation:
                responses.setdefault("415", UNSUPPORTED)
            responses.setdefault("503", UNAVAILABLE)
    return result
