"""What every space page shares: the htmx request type, error text, the access lookup, redirects."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django_htmx.middleware import HtmxDetails

from communities.roles import Action
from elicitation import selectors
from elicitation.identity import Identity, request_access


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{'' if field == '__all__' else field.replace('_', ' ').capitalize() + ': '}{msg}"
            for field, errs in exc.message_dict.items()
            for msg in errs
        ]
    return list(exc.messages)


def _login_url(request: HttpRequest) -> str:
    try:
        base = resolve_url(settings.LOGIN_URL)
    except NoReverseMatch:  # the accounts pages are not mounted in this deployment
        base = reverse("admin:login")
    return f"{base}?{urlencode({'next': request.get_full_path()})}"


def _access(
    request: HttpRequest, space_id: int, action: Action = Action.VIEW
) -> selectors.SpaceAccess:
    """The space as the person behind `request` may use it (with how they arrived: the link)."""
    return request_access(request, space_id, action)


def _participate(request: HtmxHttpRequest, space_id: int) -> tuple[selectors.SpaceAccess, Identity]:
    access = _access(request, space_id, Action.PARTICIPATE)
    return access, Identity(request, access.space)


def _done(
    request: HttpRequest, identity: Identity | None, url: str, message: str = ""
) -> HttpResponseBase:
    if message:
        messages.success(request, message)
    response = HttpResponseRedirect(url)
    return identity.attach(response) if identity else response
