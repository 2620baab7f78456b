"""Pages of deliberation spaces: parse, check access, call a service, render.

Every form works as a plain POST (redirect after success, the page again
with the error and a 4xx otherwise); htmx requests get the partial they
swap in, errors included, with the same 4xx status (the templates tell htmx
to swap 4xx responses).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from aggregation.report_selectors import standing_picture
from communities.roles import Action, role_allows
from elicitation import selectors, services
from elicitation.forms import SpaceForm
from elicitation.identity import (
    Identity,
    find_participant,
    link_proof,
    remember_link,
    remember_xid,
)
from elicitation.models import Argument, Flag, ModerationStatus, Space

# --- helpers -------------------------------------------------------------------


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


# --- Community spaces and space settings ------------------------------------------


@require_GET
def community_spaces(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_for_user(user=request.user, slug=slug)
    spaces = selectors.space_list_for_user(user=request.user, community=community)
    role = (
        community.memberships.filter(user=request.user, status="active")
        .values_list("role", flat=True)
        .first()
        if request.user.is_authenticated
        else None
    )
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
    form = SpaceForm(request.POST or None, initial={"ranking_size": 5})
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
                messages.success(request, "Space created as a draft. Open it when you are ready.")
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
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.CREATE_SPACE
    )
    form = SpaceForm(request.POST or None, instance=space)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.space_update(space=space, actor=request.user, **form.service_fields())
            except ValidationError as exc:
                _add_form_errors(form, exc)
            else:
                messages.success(request, "Settings saved.")
                return redirect(space)
        status = 400
        space.refresh_from_db()
    return render(
        request,
        "elicitation/space_form.html",
        {"form": form, "community": space.community, "space": space},
        status=status,
    )


@login_required
@require_POST
def space_phase(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.CREATE_SPACE
    )
    phase = request.POST.get("phase", "")
    try:
        services.space_set_phase(
            space=space, phase=phase, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
        return redirect(space)
    messages.success(request, f"The space is now {space.get_phase_display().lower()}.")
    return redirect(space)


@require_GET
def space_join(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    """The "anyone with the link" URL; `?xid=` lets an embedding site name its user."""
    space = get_object_or_404(Space, link_token=token)
    space = selectors.space_get_for_user(
        user=request.user, space_id=space.pk, link=selectors.LinkProof(tokens=(token,))
    )
    url = space.get_absolute_url()
    xid = (request.GET.get("xid") or "").strip()
    if xid and space.participation == Space.Participation.LINK:
        url += "?" + urlencode({"xid": xid})
    response = redirect(url)
    # The pages of the space (and their htmx requests) carry no token: this
    # grant is how they know, in a private community, that the visitor has the link.
    remember_link(request, space, response)
    return response


# --- The space page and voting ----------------------------------------------------------


def _vote_context(
    request: HttpRequest, space: Space, participant: Any, error: str = ""
) -> dict[str, Any]:
    result = selectors.latest_analysis_result(space=space)
    return {
        "space": space,
        "statement": selectors.statement_next(space=space, participant=participant, result=result)
        if space.statements_enabled
        else None,
        "progress": selectors.vote_progress(space=space, participant=participant),
        "accepts_input": space.accepts_input(),
        "can_participate": _can_participate(request, space),
        "vote_error": error,
        "login_url": _login_url(request),
    }


def _space_page_context(
    request: HttpRequest, space: Space, participant: Any, error: str = ""
) -> dict[str, Any]:
    context = _vote_context(request, space, participant, error)
    context.update(_roles(request, space))
    context.update(
        {
            "counts": selectors.space_counts(space=space),
            "participant": participant,
            "tab": "vote",
            "link_url": request.build_absolute_uri(
                reverse("elicitation:join", kwargs={"token": space.link_token})
            ),
        }
    )
    return context


@require_GET
@vary_on_headers("HX-Request")
def space_detail(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    participant = find_participant(request, space)
    response = render(
        request, "elicitation/space.html", _space_page_context(request, space, participant)
    )
    remember_xid(request, space, response)
    return response


@require_GET
def space_live_counts(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    return render(
        request,
        "elicitation/space.html#counts",
        {"space": space, "counts": selectors.space_counts(space=space)},
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@vary_on_headers("HX-Request")
def vote(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space, identity = _participate(request, space_id)
    number = _int(request.POST.get("statement"))
    value = _int(request.POST.get("value"))
    back = request.POST.get("next") or ""
    back_url = back if back.startswith(f"/s/{space.pk}/") else space.get_absolute_url()
    error, status = "", 200
    try:
        participant = identity.participant()
        outcome = services.vote_cast(
            participant=participant,
            statement_number=number if number is not None else request.POST.get("statement"),
            value=value if value is not None else request.POST.get("value"),
        )
    except services.Refused as exc:
        participant, error, status = None, exc.message, exc.status
    except ValidationError as exc:
        participant, error, status = None, "; ".join(_errors(exc)), 400
    if participant is None:
        participant = find_participant(request, space)
    if request.htmx:
        context = _vote_context(request, space, participant, error)
        if not error:
            context["last_vote"] = outcome
        response = render(request, "elicitation/space.html#vote-card", context, status=status)
        return identity.attach(response)
    if error:
        # Without JS: the page again, the error on the card, the 4xx status kept.
        if back_url != space.get_absolute_url() and number is not None:
            context = _statement_context(request, space, number, vote_error=error)
            return identity.attach(
                render(request, "elicitation/statement.html", context, status=status)
            )
        context = _space_page_context(request, space, participant, error)
        return identity.attach(render(request, "elicitation/space.html", context, status=status))
    label = {1: "agree", -1: "disagree", 0: "pass"}[outcome.value]
    return _done(
        request, identity, back_url, f"Recorded: {label} on statement #{outcome.statement.number}."
    )


@require_POST
def statement_propose(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space, identity = _participate(request, space_id)
    text = request.POST.get("text", "")
    try:
        statement = services.statement_propose(
            space=space,
            participant=identity.participant(),
            text=text,
        )
    except services.DuplicateStatement as exc:
        url = reverse(
            "elicitation:statement",
            kwargs={"space_id": space.pk, "number": exc.existing.number},
        )
        return _propose_error(request, space, identity, "; ".join(_errors(exc)), 409, text, url)
    except services.Refused as exc:
        return _propose_error(request, space, identity, exc.message, exc.status, text)
    except ValidationError as exc:
        return _propose_error(request, space, identity, "; ".join(_errors(exc)), 400, text)
    if statement.status == ModerationStatus.PENDING:
        message = f"Thank you. Statement #{statement.number} waits for a moderator's approval."
    else:
        message = f"Thank you. Statement #{statement.number} is now open for votes."
    if request.htmx:
        response = render(
            request,
            "elicitation/space.html#propose",
            {"space": space, "propose_message": message, "accepts_input": True},
            status=201,
        )
        return identity.attach(response)
    return _done(request, identity, space.get_absolute_url() + "#propose", message)


def _propose_error(
    request: HtmxHttpRequest,
    space: Space,
    identity: Identity,
    error: str,
    status: int,
    text: str,
    duplicate_url: str = "",
) -> HttpResponseBase:
    context = {
        "space": space,
        "propose_error": error,
        "propose_text": text,
        "duplicate_url": duplicate_url,
        "accepts_input": space.accepts_input(),
    }
    if request.htmx:
        return identity.attach(
            render(request, "elicitation/space.html#propose", context, status=status)
        )
    # Without JS: the whole page again, with the error next to the form and the text kept.
    participant = find_participant(request, space)
    full = _vote_context(request, space, participant)
    full.update(_roles(request, space))
    full.update(context)
    full.update({"counts": selectors.space_counts(space=space), "tab": "vote"})
    return identity.attach(render(request, "elicitation/space.html", full, status=status))


# --- Statements and debate -----------------------------------------------------


@require_GET
def statement_list(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    return render(
        request,
        "elicitation/statement_list.html",
        {
            "space": space,
            "page": Paginator(selectors.statements_with_counts(space=space), 100).get_page(
                request.GET.get("page")
            ),
            "tab": "statements",
            **_roles(request, space),
        },
    )


def _statement_context(
    request: HttpRequest, space: Space, number: int, **extra: Any
) -> dict[str, Any]:
    participant = find_participant(request, space)
    roles = _roles(request, space)
    statement = selectors.statement_get_visible(
        space=space, number=number, participant=participant, moderator=roles["can_moderate"]
    )
    my_vote = (
        statement.votes.filter(participant=participant).values_list("value", flat=True).first()
        if participant
        else None
    )
    return {
        "space": space,
        "statement": statement,
        "counts": selectors.statement_counts(statement=statement),
        "arguments": selectors.argument_tree(statement=statement, participant=participant),
        "my_vote": my_vote,
        "accepts_input": space.accepts_input(),
        "can_participate": _can_participate(request, space),
        "tab": "statements",
        **roles,
        **extra,
    }


@require_GET
def statement_detail(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponse:
    space = _space(request, space_id)
    return render(request, "elicitation/statement.html", _statement_context(request, space, number))


@require_POST
@vary_on_headers("HX-Request")
def argument_create(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponseBase:
    space, identity = _participate(request, space_id)
    participant = identity.participant()
    statement = selectors.statement_get_visible(
        space=space, number=number, participant=participant, moderator=False
    )
    parent = None
    parent_id = _int(request.POST.get("parent"))
    if request.POST.get("parent"):
        parent = (
            Argument.objects.filter(pk=parent_id, statement=statement).first()
            if parent_id is not None
            else None
        )
        if parent is None:
            messages.error(request, "Parent: that argument is not on this statement.")
            return identity.attach(HttpResponseRedirect(statement_url(space, number)))
    try:
        argument, _ = services.argument_post(
            statement=statement,
            participant=participant,
            stance=request.POST.get("stance", ""),
            text=request.POST.get("text", ""),
            parent=parent,
        )
    except services.Refused as exc:
        error, status = exc.message, exc.status
    except ValidationError as exc:
        error, status = "; ".join(_errors(exc)), 400
    else:
        pending = argument.status == ModerationStatus.PENDING
        message = (
            "Thank you. Your argument waits for a moderator's approval."
            if pending
            else "Thank you. Your argument is posted."
        )
        return _done(request, identity, statement_url(space, number) + "#debate", message)
    if request.htmx:
        context = _statement_context(request, space, number, argument_error=error)
        return identity.attach(
            render(request, "elicitation/statement.html#debate", context, status=status)
        )
    context = _statement_context(request, space, number, argument_error=error)
    return identity.attach(render(request, "elicitation/statement.html", context, status=status))


def statement_url(space: Space, number: int) -> str:
    return reverse("elicitation:statement", kwargs={"space_id": space.pk, "number": number})


@require_POST
def flag_create(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space, identity = _participate(request, space_id)
    participant = identity.participant()
    number = _int(request.POST.get("statement"))
    argument_id = _int(request.POST.get("argument"))
    statement = argument = None
    if argument_id is not None:
        argument = get_object_or_404(
            Argument.objects.select_related("statement"),
            pk=argument_id,
            statement__space=space,
            status=ModerationStatus.ACCEPTED,
        )
        number = argument.statement.number
    elif number is not None:
        statement = selectors.statement_get_visible(
            space=space, number=number, participant=participant, moderator=False
        )
    else:
        messages.error(request, "Say which statement or argument you are reporting.")
        return identity.attach(HttpResponseRedirect(space.get_absolute_url()))
    try:
        services.flag_create(
            participant=participant,
            statement=statement,
            argument=argument,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(request, "Thank you. The moderators will look at your report.")
    return identity.attach(HttpResponseRedirect(statement_url(space, number)))


# --- Pairwise ------------------------------------------------------------------------


def _pair_context(
    request: HttpRequest, space: Space, participant: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "space": space,
        "pair": selectors.pair_next(space=space, participant=participant),
        "accepts_input": space.accepts_input(),
        "can_participate": _can_participate(request, space),
        "tab": "pairwise",
        **extra,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def pairwise(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    if request.method == "GET":
        space = _space(request, space_id)
        participant = find_participant(request, space)
        context = _pair_context(request, space, participant, **_roles(request, space))
        return render(request, "elicitation/pairwise.html", context)
    space, identity = _participate(request, space_id)
    error, status, message = "", 201, ""
    try:
        participant = identity.participant()
        _, created = services.comparison_record(
            participant=participant,
            statement_a=request.POST.get("statement_a"),
            statement_b=request.POST.get("statement_b"),
            choice=request.POST.get("choice", ""),
            reason=request.POST.get("reason", ""),
        )
        message = "Thank you, recorded." if created else "Updated your last answer."
    except services.Refused as exc:
        participant, error, status = None, exc.message, exc.status
    except ValidationError as exc:
        participant, error, status = None, "; ".join(_errors(exc)), 400
    participant = participant or find_participant(request, space)
    if request.htmx or error:
        context = _pair_context(request, space, participant, pair_error=error, pair_message=message)
        if not request.htmx:
            context.update(_roles(request, space))
        template = "elicitation/pairwise.html" + ("#pair" if request.htmx else "")
        return identity.attach(render(request, template, context, status=status))
    url = reverse("elicitation:pairwise", kwargs={"space_id": space.pk})
    return _done(request, identity, url, message)


# --- Ranking -------------------------------------------------------------------------


def _ranking_context(
    request: HttpRequest, space: Space, participant: Any, **extra: Any
) -> dict[str, Any]:
    ballot = selectors.ranking_for(participant=participant)
    slots = [
        {"position": i, "current": ballot[i - 1].number if i <= len(ballot) else None}
        for i in range(1, space.ranking_size + 1)
    ]
    return {
        "space": space,
        "ballot": ballot,
        "slots": slots,
        "choices": list(selectors.statements_with_counts(space=space).only("number", "text")),
        "accepts_input": space.accepts_input(),
        "can_participate": _can_participate(request, space),
        "tab": "ranking",
        **extra,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def ranking(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    if request.method == "GET":
        space = _space(request, space_id)
        participant = find_participant(request, space)
        context = _ranking_context(request, space, participant, **_roles(request, space))
        return render(request, "elicitation/ranking.html", context)
    space, identity = _participate(request, space_id)
    # Position selects: position_1 .. position_k; blanks are skipped, order kept.
    chosen = [
        request.POST.get(f"position_{i}", "").strip()
        for i in range(1, max(space.ranking_size, 20) + 1)
    ]
    numbers = [value for value in chosen if value]
    error, status, message = "", 200, ""
    participant = None
    try:
        participant = identity.participant()
        services.ranking_submit(participant=participant, statement_numbers=numbers)
        message = "Your ranking is saved. You can change it until the space closes."
    except services.Refused as exc:
        error, status = exc.message, exc.status
    except ValidationError as exc:
        error, status = "; ".join(_errors(exc)), 400
    if request.htmx or error:
        participant = participant or find_participant(request, space)
        context = _ranking_context(
            request, space, participant, ranking_error=error, ranking_message=message
        )
        if not request.htmx:
            context.update(_roles(request, space))
        template = "elicitation/ranking.html" + ("#ballot" if request.htmx else "")
        return identity.attach(render(request, template, context, status=status))
    url = reverse("elicitation:ranking", kwargs={"space_id": space.pk})
    return _done(request, identity, url, message)


# --- Where you stand ---------------------------------------------------------------


@require_GET
def where_you_stand(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    participant = find_participant(request, space)
    return render(
        request,
        "elicitation/stand.html",
        {
            "space": space,
            "participant": participant,
            "standing": selectors.where_you_stand(space=space, participant=participant),
            "picture": standing_picture(space=space, participant=participant),
            "tab": "stand",
            **_roles(request, space),
        },
    )


# --- Facilitators: moderation and the decision log ------------------------------------


@login_required
@require_GET
def moderation_queue(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.MODERATE
    )
    return render(
        request,
        "elicitation/moderation.html",
        {
            "space": space,
            "queue": selectors.moderation_queue(space=space),
            "tab": "moderation",
            **_roles(request, space),
        },
    )


def _moderation_url(space: Space) -> str:
    return reverse("elicitation:moderation", kwargs={"space_id": space.pk})


@login_required
@require_POST
def statement_moderate(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponseBase:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.MODERATE
    )
    statement = selectors.statement_get_visible(
        space=space, number=number, participant=None, moderator=True
    )
    decision = request.POST.get("decision", "")
    try:
        services.statement_moderate(
            statement=statement,
            actor=request.user,
            decision=decision,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, f"Statement #{number}: " + "; ".join(_errors(exc)))
    else:
        messages.success(request, f"Statement #{number}: {decision} recorded in the decision log.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith(f"/s/{space.pk}/") else _moderation_url(space))


@login_required
@require_POST
def argument_moderate(
    request: HtmxHttpRequest, space_id: int, argument_id: int
) -> HttpResponseBase:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.MODERATE
    )
    argument = get_object_or_404(Argument, pk=argument_id, statement__space=space)
    decision = request.POST.get("decision", "")
    try:
        services.argument_moderate(
            argument=argument,
            actor=request.user,
            decision=decision,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, "Argument: " + "; ".join(_errors(exc)))
    else:
        messages.success(request, f"Argument: {decision} recorded in the decision log.")
    return redirect(_moderation_url(space))


@login_required
@require_POST
def flag_dismiss(request: HtmxHttpRequest, space_id: int, flag_id: int) -> HttpResponseBase:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.MODERATE
    )
    flag = get_object_or_404(
        Flag.objects.filter(statement__space=space)
        | Flag.objects.filter(argument__statement__space=space),
        pk=flag_id,
    )
    try:
        services.flag_dismiss(flag=flag, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(request, "Flag dismissed; recorded in the decision log.")
    return redirect(_moderation_url(space))


@login_required
@require_POST
def statement_seed(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space = selectors.space_get_for_user(
        user=request.user, space_id=space_id, action=Action.MODERATE
    )
    try:
        statement = services.statement_seed(
            space=space,
            actor=request.user,
            text=request.POST.get("text", ""),
            is_meta=request.POST.get("is_meta") == "on",
        )
    except (ValidationError, services.Refused) as exc:
        messages.error(
            request,
            exc.message if isinstance(exc, services.Refused) else "; ".join(_errors(exc)),
        )
    else:
        messages.success(request, f"Seed statement #{statement.number} added.")
    return redirect(_moderation_url(space))


@require_GET
def decision_log(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    return render(
        request,
        "elicitation/decisions.html",
        {
            "space": space,
            "decisions": selectors.decision_log(space=space)[:500],
            "tab": "decisions",
            **_roles(request, space),
        },
    )
