"""Invitations: creating and revoking (facilitators), accepting (anyone with the link)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import selectors, services
from communities.forms import InvitationForm
from communities.models import Invitation
from communities.roles import Action, role_allows
from communities.views.common import _problem
from communities.views.communities import _add_errors
from communities.views.members import _members_page
from config.exceptions import ApplicationError


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        community, membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    assert membership is not None
    form = InvitationForm(request.POST, actor_role=membership.role)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=request.user,
                community=community,
                role=form.cleaned_data["role"],
                expires_at=form.expires_at(),
                max_uses=form.cleaned_data.get("max_uses"),
                email=form.cleaned_data.get("email") or "",
                language=translation.get_language() or "",
            )
        except ApplicationError as error:
            return _problem(request, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if form.cleaned_data.get("email"):
                messages.success(
                    request,
                    _("Invitation created and e-mailed to %(email)s; the link is also below.")
                    % {"email": form.cleaned_data["email"]},
                )
            else:
                messages.success(
                    request, _("Invitation link created: copy it from the list below.")
                )
            return redirect("communities:members", slug=community.slug)
    return _members_page(request, community, membership, status=400, invitation_form=form)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    try:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        services.invitation_revoke(community=community, invitation_id=invitation_id)
    except (PermissionDenied, ApplicationError) as error:
        return _problem(request, error, back=reverse("communities:members", args=[slug]))
    messages.success(request, _("Invitation revoked: the link no longer works."))
    return redirect("communities:members", slug=community.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link invites to (and how to sign up or log in first);
    POST accepts it."""
    invitation = selectors.invitation_get_by_token(token=token)
    community = invitation.community
    problem = services.invitation_problem(invitation)
    if problem:
        return _unusable_invitation(request, invitation, problem)
    here = request.get_full_path()
    context: dict[str, Any] = {
        "invitation": invitation,
        "community": community,
        "next": here,
    }
    if request.method == "GET" or not request.user.is_authenticated:
        if request.user.is_authenticated:
            context["membership"] = selectors.membership_for(user=request.user, community=community)
        return render(request, "communities/invitation.html", context)
    try:
        membership, created = services.invitation_accept(user=request.user, token=token)
    except services.InvitationUnusable as unusable:
        return _unusable_invitation(request, invitation, unusable.reason)
    except ApplicationError as error:
        return _problem(request, error)
    if not created:
        messages.info(
            request, _("You are already a member of %(community)s.") % {"community": community.name}
        )
        return redirect(community)
    messages.success(
        request,
        _("Welcome to %(community)s. Your role: %(role)s.")
        % {"community": community.name, "role": membership.get_role_display()},
    )
    if selectors.segment_questions(community=community):
        return redirect("communities:answers", slug=community.slug)
    return redirect(community)


def _unusable_invitation(
    request: HttpRequest, invitation: Invitation, problem: str
) -> HttpResponse:
    """410 for a revoked, expired or used-up link.

    The link no longer admits anyone, so it no longer tells anyone anything:
    a visitor who is not a member learns neither the community's name (a
    private community's name is itself private) nor the role offered. The
    community's members see which community it was, and those who manage its
    members (the inviter) get the way to a new link.
    """
    community = invitation.community
    membership = selectors.membership_for(user=request.user, community=community)
    context: dict[str, Any] = {
        "problem": problem,
        "message": services.INVITATION_MESSAGES[problem],
        "community": community if membership else None,
        "may_invite": membership is not None
        and role_allows(membership.role, Action.MANAGE_MEMBERS),
    }
    return render(request, "communities/invitation_unusable.html", context, status=410)
