"""Space pages: a community's spaces, creating, editing, opening/closing, joining by link, the space page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from communities.roles import Action, role_allows
from elicitation import selectors, services
from elicitation.forms import SpaceForm
from elicitation.identity import (
    XID_SIGNATURE_FIELD,
    remember_link,
    remember_xid,
    xid_secret,
)
from elicitation.models import Space
from elicitation.views.common import HtmxHttpRequest, _access, _errors
from elicitation.views.context import _space_page_context


@require_GET
def community_spaces(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_for_user(user=request.user, slug=slug)
    spaces = selectors.space_list_for_user(user=request.user, community=community)
    role = selectors.community_role(user=request.user, community_id=community.pk)
    return render(
        request,
        "elicitation/community_spaces.html",
        {
            "community": community,
            "spaces": spaces,
            "can_manage": role_allows(role, Action.CREATE_SPACE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def space_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_for_user(
        user=request.user, slug=slug, action=Action.CREATE_SPACE
    )
    assert isinstance(request.user, User)  # login_required
    form = SpaceForm(request.POST or None, initial={"ranking_size": 5, "min_voters": 5})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                space = services.space_create(
                    community=community, actor=request.user, **form.service_fields()
                )
            except ValidationError as exc:
                _add_form_errors(form, exc)
            else:
                messages.success(
                    request, _("Space created as a draft. Open it when you are ready.")
                )
                return redirect(space)
        status = 400
    return render(
        request,
        "elicitation/space_form.html",
        {"form": form, "community": community, "space": None},
        status=status,
    )


def _add_form_errors(form: SpaceForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def space_edit(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = selectors.space_access(
        user=request.user, space_id=space_id, action=Action.CREATE_SPACE
    ).space
    form = SpaceForm(request.POST or None, instance=space)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.space_update(space=space, actor=request.user, **form.service_fields())
            except ValidationError as exc:
                _add_form_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect(space)
        status = 400
        space.refresh_from_db()
    return render(
        request,
        "elicitation/space_form.html",
        {
            "form": form,
            "community": space.community,
            "space": space,
            "xid_secret": xid_secret(space),
            "link_rotated": request.GET.get("link") == "new",
            "link_url": request.build_absolute_uri(
                reverse("elicitation:join", kwargs={"token": space.link_token})
            ),
            "embed_url": request.build_absolute_uri(
                reverse("elicitation:embed", kwargs={"space_id": space.pk})
            ),
            "embed_script_url": request.build_absolute_uri(reverse("elicitation:embed_script")),
        },
        status=status,
    )


@login_required
@require_POST
def space_phase(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space = selectors.space_access(
        user=request.user, space_id=space_id, action=Action.CREATE_SPACE
    ).space
    phase = request.POST.get("phase", "")
    try:
        services.space_set_phase(
            space=space, phase=phase, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
        return redirect(space)
    messages.success(
        request, _("The space is now %(phase)s.") % {"phase": space.get_phase_display().lower()}
    )
    return redirect(space)


@login_required
@require_POST
def space_link_rotate(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    """Replace the "anyone with the link" URL (facilitators); the old one stops working."""
    space = selectors.space_access(
        user=request.user, space_id=space_id, action=Action.CREATE_SPACE
    ).space
    services.space_link_rotate(space=space, actor=request.user)
    # Said inside the link's section (the page opens there), not as a message at the top.
    edit = reverse("elicitation:space_edit", kwargs={"space_id": space.pk})
    return redirect(f"{edit}?link=new#link")


@require_GET
def space_join(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    """The "anyone with the link" URL; `?xid=` lets an embedding site name its user."""
    space = Space.objects.filter(link_token=token).first()
    if space is None:
        # Replaced, or copied incompletely: a page that says so (old tokens are
        # not kept, so it cannot tell which, nor name the space).
        return render(request, "elicitation/link_unknown.html", status=404)
    space = selectors.space_access(
        user=request.user, space_id=space.pk, link=selectors.LinkProof(tokens=(token,))
    ).space
    url = space.get_absolute_url()
    xid = (request.GET.get("xid") or "").strip()
    if xid and space.participation == Space.Participation.LINK:
        signature = (request.GET.get(XID_SIGNATURE_FIELD) or "").strip()
        url += "?" + urlencode(
            {"xid": xid, XID_SIGNATURE_FIELD: signature} if signature else {"xid": xid}
        )
    response = redirect(url)
    # The pages of the space (and their htmx requests) carry no token: this
    # grant is how they know, in a private community, that the visitor has the link.
    remember_link(request, space, response)
    return response


@require_GET
@vary_on_headers("HX-Request")
def space_detail(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id)
    space = access.space
    response = render(request, "elicitation/space.html", _space_page_context(request, access))
    remember_xid(request, space, response)
    return response


@require_GET
def space_live_counts(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _access(request, space_id).space
    return render(
        request,
        "elicitation/space.html#counts",
        {"space": space, "counts": selectors.space_counts(space=space)},
    )
