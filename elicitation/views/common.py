"""What every space page shares: the htmx request type, error text, roles, the space lookup, redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django_htmx.middleware import HtmxDetails

from communities.roles import Action, role_allows
from elicitation import selectors
from elicitation.identity import Identity, link_proof
from elicitation.models import Space


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


def _roles(request: HttpRequest, space: Space) -> dict[str, Any]:
    role = selectors.space_role(user=request.user, space=space)
    return {
        "role": role,
        "can_manage": role_allows(role, Action.CREATE_SPACE),
        "can_moderate": role_allows(role, Action.MODERATE),
    }


def _login_url(request: HttpRequest) -> str:
    try:
        base = resolve_url(settings.LOGIN_URL)
    except NoReverseMatch:  # the accounts pages are not mounted in this deployment
        base = reverse("admin:login")
    return f"{base}?{urlencode({'next': request.get_full_path()})}"


def _can_participate(request: HttpRequest, space: Space) -> bool:
    if space.participation == Space.Participation.LINK:
        return True
    role = selectors.space_role(user=request.user, space=space)
    return role_allows(role, Action.PARTICIPATE)


def _space(request: HttpRequest, space_id: int, action: Action = Action.VIEW) -> Space:
    """The space for someone viewing or taking part, with how they arrived (the link grant)."""
    return selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=action, link=link_proof(request, space_id)
    )


def _participate(request: HtmxHttpRequest, space_id: int) -> tuple[Space, Identity]:
    space = _space(request, space_id, Action.PARTICIPATE)
    return space, Identity(request, space)


def _done(
    request: HttpRequest, identity: Identity | None, url: str, message: str = ""
) -> HttpResponseBase:
    if message:
        messages.success(request, message)
    response = HttpResponseRedirect(url)
    return identity.attach(response) if identity else response
