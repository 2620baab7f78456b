"""Community pages: create, edit, the community page, join, leave."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from communities import selectors, services
from communities.forms import CommunityForm
from communities.models import Community, Membership
from communities.roles import Action
from communities.views.common import _can, _problem, _space_links
from config.exceptions import ApplicationError
from elicitation.models import Space


@login_required
@require_http_methods(["GET", "POST"])
def community_create(request: HttpRequest) -> HttpResponse:
    form = CommunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = services.community_create(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(community)s is created; you are its owner.") % {"community": community.name},
            )
            return redirect(community)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "communities/form.html", {"form": form, "community": None}, status=status
    )


def _add_errors(form: Any, error: ValidationError | ApplicationError) -> None:
    if isinstance(error, ApplicationError):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            # Segment answers are keyed by question id; their form fields are q<id>.
            name = next((n for n in (field, f"q{field}") if n in form.fields), None)
            form.add_error(name, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def community_edit(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.EDIT_COMMUNITY
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    initial = {
        "name": community.name,
        "slug": community.slug,
        "description": community.description,
        "visibility": community.visibility,
    }
    form = CommunityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["slug"] = data["slug"] or community.slug
        try:
            community = services.community_update(actor=request.user, community=community, **data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(community)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "communities/form.html", {"form": form, "community": community}, status=status
    )


def _detail_context(request: HttpRequest, community: Community) -> dict[str, Any]:
    membership = selectors.membership_for(user=request.user, community=community)
    spaces = Space.objects.filter(community=community).order_by("-created_at")
    if not _can(membership, Action.CREATE_SPACE):
        spaces = spaces.without_drafts()
    members = (
        selectors.community_members(user=request.user, community=community) if membership else None
    )
    questions = selectors.segment_questions(community=community)
    cells = None
    if _can(membership, Action.MANAGE_SEGMENTS):
        cells = [(q, selectors.segment_cells(community, q)) for q in questions]
    return {
        "community": community,
        "membership": membership,
        "spaces": _space_links(list(spaces)),
        "members": members,
        "member_count": community.memberships.filter(status=Membership.Status.ACTIVE).count(),
        "questions": questions,
        "segment_cells": cells,
        "can_edit": _can(membership, Action.EDIT_COMMUNITY),
        "can_manage": _can(membership, Action.MANAGE_MEMBERS),
        "can_segments": _can(membership, Action.MANAGE_SEGMENTS),
    }


@require_GET
@vary_on_headers("HX-Request")
def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_visible(user=request.user, slug=slug)
    context = _detail_context(request, community)
    template = "communities/detail.html"
    if getattr(request, "htmx", False):
        template += "#membership"
    return render(request, template, context)


@require_POST
def community_join(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?next={reverse('communities:detail', args=[slug])}"
        )
    community = selectors.community_get_visible(user=request.user, slug=slug)
    try:
        services.membership_join(user=request.user, community=community)
    except ApplicationError as error:
        return _problem(request, error, back=community.get_absolute_url())
    messages.success(request, _("Welcome to %(community)s.") % {"community": community.name})
    if selectors.segment_questions(community=community):
        return redirect("communities:answers", slug=community.slug)
    return redirect(community)


@login_required
@require_POST
def community_leave(request: HttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_visible(user=request.user, slug=slug)
    try:
        services.membership_leave(user=request.user, community=community)
    except ApplicationError as error:
        return _problem(request, error, back=community.get_absolute_url())
    messages.success(request, _("You left %(community)s.") % {"community": community.name})
    if Community.objects.visible_to(request.user).filter(pk=community.pk).exists():
        return redirect(community)
    return redirect("home")
