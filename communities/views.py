"""Community pages: parse, check access (selectors), call a service, render.

Failed actions answer with a 4xx page saying what went wrong (400 for bad
input or a forbidden state, 403 for a role that does not allow it, 410 for an
unusable invitation), never a silent redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from communities import selectors, services
from communities.forms import (
    CommunityForm,
    InvitationForm,
    RoleForm,
    SegmentAnswersForm,
    SegmentQuestionForm,
)
from communities.models import Community, Membership
from communities.roles import Action, Role, role_allows, role_may_act_on, role_may_assign


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do this."


def _problem(
    request: HttpRequest,
    error: ValidationError | PermissionDenied | services.InvitationUnusable,
    *,
    back: str | None = None,
    status: int | None = None,
) -> HttpResponse:
    if isinstance(error, services.InvitationUnusable):
        message, default_status = error.message, 410
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


# --- community pages ----------------------------------------------------------------


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
            messages.success(request, f"{community.name} is created; you are its owner.")
            return redirect(community)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "communities/form.html", {"form": form, "community": None}, status=status
    )


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
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
        community, _ = selectors.community_get_for_action(
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
        except PermissionDenied as error:
            return _problem(request, error)
        else:
            messages.success(request, "Saved.")
            return redirect(community)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "communities/form.html", {"form": form, "community": community}, status=status
    )


def _detail_context(request: HttpRequest, community: Community) -> dict[str, Any]:
    membership = selectors.membership_for(user=request.user, community=community)
    spaces = community.spaces.order_by("-created_at")
    if not _can(membership, Action.CREATE_SPACE):
        spaces = spaces.exclude(phase="draft")
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
    except (ValidationError, PermissionDenied) as error:
        return _problem(request, error, back=community.get_absolute_url())
    messages.success(request, f"Welcome to {community.name}.")
    if selectors.segment_questions(community=community):
        return redirect("communities:answers", slug=community.slug)
    return redirect(community)


@login_required
@require_POST
def community_leave(request: HttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_visible(user=request.user, slug=slug)
    try:
        services.membership_leave(user=request.user, community=community)
    except (ValidationError, PermissionDenied) as error:
        return _problem(request, error, back=community.get_absolute_url())
    messages.success(request, f"You left {community.name}.")
    if Community.objects.visible_to(request.user).filter(pk=community.pk).exists():
        return redirect(community)
    return redirect("home")


# --- members and invitations -----------------------------------------------------


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
                raise ValidationError({"role": f"Choose a role: {', '.join(Role.values)}."})
            services.membership_change_role(**kwargs, role=form.cleaned_data["role"])  # type: ignore[arg-type]
            done = "Role changed."
        elif action == "remove":
            services.membership_remove(**kwargs)  # type: ignore[arg-type]
            done = "Member removed."
        elif action == "ban":
            services.membership_ban(**kwargs)  # type: ignore[arg-type]
            done = "Member banned."
        else:
            services.membership_unban(**kwargs)  # type: ignore[arg-type]
            done = "Ban lifted."
    except (ValidationError, PermissionDenied) as error:
        if getattr(request, "htmx", False):
            status = 403 if isinstance(error, PermissionDenied) else 400
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
            )
        except PermissionDenied as error:
            return _problem(request, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Invitation link created: copy it from the list below.")
            return redirect("communities:members", slug=community.slug)
    return _members_page(request, community, membership, status=400, invitation_form=form)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    try:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        services.invitation_revoke(
            actor=request.user, community=community, invitation_id=invitation_id
        )
    except (ValidationError, PermissionDenied) as error:
        return _problem(request, error, back=reverse("communities:members", args=[slug]))
    messages.success(request, "Invitation revoked: the link no longer works.")
    return redirect("communities:members", slug=community.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link invites to (and how to sign up or log in first);
    POST accepts it."""
    invitation = selectors.invitation_get_by_token(token=token)
    community = invitation.community
    problem = services.invitation_problem(invitation)
    here = request.get_full_path()
    context: dict[str, Any] = {
        "invitation": invitation,
        "community": community,
        "problem": services.INVITATION_MESSAGES.get(problem or ""),
        "next": here,
    }
    if request.method == "GET" or not request.user.is_authenticated:
        status = 410 if problem else 200
        if request.user.is_authenticated:
            context["membership"] = selectors.membership_for(user=request.user, community=community)
        return render(request, "communities/invitation.html", context, status=status)
    try:
        membership, created = services.invitation_accept(user=request.user, token=token)
    except (ValidationError, PermissionDenied, services.InvitationUnusable) as error:
        return _problem(request, error)
    if not created:
        messages.info(request, f"You are already a member of {community.name}.")
        return redirect(community)
    messages.success(
        request, f"Welcome to {community.name}, as {membership.get_role_display().lower()}."
    )
    if selectors.segment_questions(community=community):
        return redirect("communities:answers", slug=community.slug)
    return redirect(community)


# --- segments ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def segments(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners and facilitators define the questions; they never see anyone's answers."""
    try:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    form = SegmentQuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.segment_question_create(
                    actor=request.user,
                    community=community,
                    label=form.cleaned_data["label"],
                    choices=form.choice_list(),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Question added.")
                return redirect("communities:segments", slug=community.slug)
        status = 400
    questions = selectors.segment_questions(community=community)
    return render(
        request,
        "communities/segments.html",
        {
            "community": community,
            "form": form,
            "questions": [(q, selectors.segment_cells(community, q)) for q in questions],
        },
        status=status,
    )


@login_required
@require_POST
def segment_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    try:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        services.segment_question_delete(
            actor=request.user, community=community, question_id=question_id
        )
    except (ValidationError, PermissionDenied) as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    messages.success(request, "Question deleted, with all its answers.")
    return redirect("communities:segments", slug=community.slug)


@login_required
@require_http_methods(["GET", "POST"])
def segment_answers(request: HttpRequest, slug: str) -> HttpResponse:
    """A member's own answers: visible and changeable only by that member."""
    community = selectors.community_get_visible(user=request.user, slug=slug)
    if selectors.membership_for(user=request.user, community=community) is None:
        return _problem(
            request,
            PermissionDenied(f"Only members of {community.name} answer its questions."),
            back=community.get_absolute_url(),
        )
    questions = selectors.segment_questions(community=community)
    current = selectors.segment_answers_of(user=request.user, community=community)
    form = SegmentAnswersForm(request.POST or None, questions=questions, initial_answers=current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.segment_answers_set(
                    user=request.user, community=community, answers=form.answers()
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Your answers are saved. Only you can see them.")
                return redirect(community)
        status = 400
    return render(
        request,
        "communities/answers.html",
        {"community": community, "form": form, "questions": questions},
        status=status,
    )
