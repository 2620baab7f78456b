"""Input no view can use, refused before any view sees it, with a clear 400 or 404.

- A NUL character in the path, the query string or a form field: PostgreSQL
  text cannot hold one, and psycopg raised on the first query that carried it
  (`/s/2/?xid=%00`, `/j/%00/`, a NUL in a proposed statement all gave 500s).
- A whole number in the URL beyond 64 bits (`/s/99999999999999999999/`):
  Django's `int` converter takes any digits, and the database overflowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from config.errors import error_response, page_not_found

MAX_URL_INT = 2**63 - 1
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def reads_own_body(view: Any) -> Any:
    """Mark a view that sets its own upload handlers: the guard leaves its body unread."""
    view.reads_own_body = True
    return view


def _nul_in(data: Any) -> str | None:
    """The first key of a QueryDict whose name or values contain NUL."""
    for key, values in data.lists():
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
            return str(key).replace("\x00", "\\0")
    return None


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path_info:
            return error_response(request, 400, _("The address contains a NUL character."))
        name = _nul_in(request.GET)
        if name is not None:
            return error_response(
                request,
                400,
                _("The query parameter %(name)s contains a NUL character.") % {"name": repr(name)},
            )
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -MAX_URL_INT <= value <= MAX_URL_INT:
                return error_response(request, 404)
        if (
            request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not getattr(view_func, "reads_own_body", False)
        ):
            # Here rather than in __call__: after URL resolution a view that
            # streams its uploads (reads_own_body) can still set its handlers.
            name = _nul_in(request.POST)
            if name is not None:
                return error_response(
                    request,
                    400,
                    _("The form field %(name)s contains a NUL character.") % {"name": repr(name)},
                )
        return None


class StyledNotFoundMiddleware:
    """A view's Http404 gets the site's 404 page in DEBUG too (Django shows its
    technical page there, unstyled); an unmatched URL keeps the technical page,
    which lists the patterns for the developer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
