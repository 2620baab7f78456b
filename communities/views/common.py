"""What the community pages share: error text, the 4xx problem page, permission checks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.roles import Action, role_allows
from config.api_errors import http_status
from config.exceptions import ApplicationError


def _error_text(error: ValidationError | PermissionDenied | ApplicationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do this.")


def _problem(
    request: HttpRequest,
    error: ValidationError | PermissionDenied | ApplicationError,
    *,
    back: str | None = None,
    status: int | None = None,
) -> HttpResponse:
    if isinstance(error, ApplicationError):
        message, default_status = error.message, http_status(error)
    elif isinstance(error, PermissionDenied):
        message, default_status = _error_text(error), 403
    else:
        message, default_status = _error_text(error), 400
    return render(
        request,
        "communities/problem.html",
        {"message": message, "back": back},
        status=status or default_status,
    )


def _space_links(spaces: list[Any]) -> list[tuple[Any, str | None]]:
    # The spaces app owns the space pages; until its URLs exist, list the
    # spaces without links rather than failing the community page.
    links: list[tuple[Any, str | None]] = []
    for space in spaces:
        try:
            links.append((space, space.get_absolute_url()))
        except NoReverseMatch:
            links.append((space, None))
    return links


def _can(membership: Membership | None, action: Action) -> bool:
    return role_allows(membership.role if membership else None, action)
