"""Error answers for the whole site: styled pages, and JSON under /api/.

Django's own 400/403/404/500 pages are bare HTML, and under /api/ they were
HTML too. `handler400` ... `handler500` (config/urls.py) and the input guard
answer through `error_response`: `{"detail": ...}` for API paths, the site's
layout otherwise. The 500 page is rendered without the request's context
processors (they may need the database that just failed).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Connection refused or lost, no connection free in the pool ("couldn't get a
# connection"), a server shutting down: psycopg and Django raise these two.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5

TITLES = {
    400: _("Bad request"),
    403: _("Not allowed"),
    404: _("Not found"),
    413: _("Too large"),
    429: _("Too many requests"),
    500: _("Server error"),
    503: _("Unavailable"),
}
DEFAULT_MESSAGES = {
    400: _("The request could not be understood."),
    403: _("You may not see or do this. If you think you should, ask the community's owner."),
    404: _("There is nothing here, or you may not see it."),
    500: _("Something went wrong on our side. Nothing was changed; please try again."),
    503: _("The service is briefly unavailable. Please try again in a moment."),
}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def error_response(
    request: HttpRequest, status: int, message: str = "", *, with_request_context: bool = True
) -> HttpResponse:
    message = str(message or DEFAULT_MESSAGES.get(status, TITLES.get(status, _("Error"))))
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    if is_htmx(request):
        # Swapped into the element that asked (base.html swaps 4xx): a message,
        # not a whole page inside the vote card.
        return HttpResponse(
            format_html('<p class="message message-error" role="alert">{}</p>', message),
            status=status,
        )
    context: dict[str, object] = {
        "status": status,
        "title": TITLES.get(status, _("Error")),
        "message": message,
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # The page has no form for a visitor: rendering the layout's token would
        # leave a CSRF cookie behind a wrong link or a refused request.
        context["csrf_token"] = ""
    template = loader.get_template("error.html")
    body = template.render(context, request if with_request_context else None)
    return HttpResponse(body, status=status)


def _message(exception: Exception | None) -> str:
    # Only messages written for people: Http404/PermissionDenied raised with one.
    # Django's resolver puts a dict (the tried patterns) in Resolver404.
    if exception is None or not exception.args or not isinstance(exception.args[0], str):
        return ""
    return exception.args[0]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # SuspiciousOperation and friends: their text may say more than a visitor should see.
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, _message(exception))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, _message(exception) if settings.DEBUG else "")


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still current.
    # A database that is restarting, unreachable or has no free connection
    # (the pool's wait ran out) is not a bug of the request: 503 and a hint when
    # to retry, so that clients and proxies try again instead of giving up.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        response = error_response(request, 503, with_request_context=False)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return error_response(request, 500, with_request_context=False)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """django-ratelimit's refusals (settings.RATELIMIT_VIEW)."""
    message = _message(exception) or _(
        "Too many requests from you in a short time. Wait a little, then try again."
    )
    response = error_response(request, 429, str(message))
    response["Retry-After"] = "60"
    return response
