"""Members page: roles, removal, bans."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from communities import selectors, services
from communities.forms import InvitationForm, RoleForm
from communities.models import Community, Membership
from communities.roles import Action, Role, role_may_act_on, role_may_assign
from communities.views.common import _can, _error_text, _problem
from config.api_errors import http_status
from config.exceptions import ApplicationError


def _members_context(
    request: HttpRequest, community: Community, membership: Membership, **extra: Any
) -> dict[str, Any]:
    members = selectors.community_members(
        user=request.user, community=community, include_banned=True
    )
    rows = [
        {
            "membership": m,
            "may_act": m.pk != membership.pk and role_may_act_on(membership.role, m.role),
            "may_change_role": role_may_act_on(membership.role, m.role),
        }
        for m in members
    ]
    invitations = selectors.invitation_list(user=request.user, community=community)
    return {
        "community": community,
        "membership": membership,
        "rows": rows,
        "assignable_roles": [r for r in Role if role_may_assign(membership.role, r.value)],
        "invitations": [
            (
                inv,
                services.invitation_problem(inv),
                request.build_absolute_uri(reverse("communities:invitation", args=[inv.token])),
            )
            for inv in invitations
        ],
        "invitation_form": extra.pop("invitation_form", None)
        or InvitationForm(actor_role=membership.role),
        **extra,
    }


def _members_page(
    request: HttpRequest,
    community: Community,
    membership: Membership,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    template = "communities/members.html"
    if getattr(request, "htmx", False):
        template += "#member-list"
    context = _members_context(request, community, membership, **extra)
    return render(request, template, context, status=status)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def members(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        community, membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    assert membership is not None
    return _members_page(request, community, membership)


def _member_action(
    request: HttpRequest, slug: str, membership_id: int, action: str
) -> HttpResponse:
    """Shared body of the role/remove/ban/unban buttons (all POST)."""
    try:
        community, membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    assert membership is not None
    kwargs = {"actor": request.user, "community": community, "membership_id": membership_id}
    try:
        if action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(
                    {"role": _("Choose a role: %(roles)s.") % {"roles": ", ".join(Role.values)}}
                )
            services.membership_change_role(**kwargs, role=form.cleaned_data["role"])  # type: ignore[arg-type]
            done = _("Role changed.")
        elif action == "remove":
            services.membership_remove(**kwargs)  # type: ignore[arg-type]
            done = _("Member removed.")
        elif action == "ban":
            services.membership_ban(**kwargs)  # type: ignore[arg-type]
            done = _("Member banned.")
        else:
            services.membership_unban(**kwargs)  # type: ignore[arg-type]
            done = _("Ban lifted.")
    except (ValidationError, ApplicationError) as error:
        if getattr(request, "htmx", False):
            status = http_status(error) if isinstance(error, ApplicationError) else 400
            # htmx swaps only 2xx answers by default; the page shows the error text
            # through the member-list partial re-rendered with the message.
            return _members_page(
                request, community, membership, status=status, error=_error_text(error)
            )
        return _problem(request, error, back=reverse("communities:members", args=[slug]))
    # The actor may have demoted themselves out of member management.
    membership = selectors.membership_for(user=request.user, community=community)
    if getattr(request, "htmx", False) and membership and _can(membership, Action.MANAGE_MEMBERS):
        return _members_page(request, community, membership, notice=done)
    messages.success(request, done)
    if membership and _can(membership, Action.MANAGE_MEMBERS):
        return redirect("communities:members", slug=community.slug)
    return redirect(community)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    return _member_action(request, slug, membership_id, "role")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    return _member_action(request, slug, membership_id, "remove")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def member_ban(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    return _member_action(request, slug, membership_id, "ban")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def member_unban(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    return _member_action(request, slug, membership_id, "unban")
