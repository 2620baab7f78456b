"""Facilitators' pages (moderation queue, seeding, decisions, the decision log) and participants' flags."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from communities.roles import Action
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.models import Argument, Flag, ModerationStatus, Space
from elicitation.services.common import statement_number_in_range
from elicitation.throttles import form_throttle
from elicitation.views.common import HtmxHttpRequest, _access, _errors, _participate
from elicitation.views.context import _int, statement_url


@require_POST
@form_throttle("space_writes")
def flag_create(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    access, identity = _participate(request, space_id)
    space = access.space
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
        messages.error(request, _("Say which statement or argument you are reporting."))
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
        messages.success(request, _("Thank you. The moderators will look at your report."))
    return identity.attach(HttpResponseRedirect(statement_url(space, number)))


@login_required
@require_GET
def moderation_queue(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id, Action.MODERATE)
    space = access.space
    return render(
        request,
        "elicitation/moderation.html",
        {
            "space": space,
            "access": access,
            "queue": selectors.moderation_queue(space=space),
            "duplicate_clusters": services.duplicate_clusters(space=space),
            "tab": "moderation",
        },
    )


def _moderation_url(space: Space) -> str:
    return reverse("elicitation:moderation", kwargs={"space_id": space.pk})


# One sentence per decision, so a translator never sees a bare decision code.
STATEMENT_DECIDED = {
    "approve": gettext_lazy("Statement #%(number)s: approve recorded in the decision log."),
    "reject": gettext_lazy("Statement #%(number)s: reject recorded in the decision log."),
    "restore": gettext_lazy("Statement #%(number)s: restore recorded in the decision log."),
}
ARGUMENT_DECIDED = {
    "approve": gettext_lazy("Argument: approve recorded in the decision log."),
    "reject": gettext_lazy("Argument: reject recorded in the decision log."),
    "restore": gettext_lazy("Argument: restore recorded in the decision log."),
}


@login_required
@require_POST
def statement_moderate(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponseBase:
    space = _access(request, space_id, Action.MODERATE).space
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
        messages.error(
            request,
            _("Statement #%(number)s: %(errors)s")
            % {"number": number, "errors": "; ".join(_errors(exc))},
        )
    else:
        messages.success(request, str(STATEMENT_DECIDED[decision]) % {"number": number})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith(f"/s/{space.pk}/") else _moderation_url(space))


@login_required
@require_POST
def statement_merge(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponseBase:
    """Merge statement `number` into the one named by the form's `into`."""
    space = _access(request, space_id, Action.MODERATE).space
    source = selectors.statement_get_visible(
        space=space, number=number, participant=None, moderator=True
    )
    into = request.POST.get("into", "")
    if not into.isdigit() or not statement_number_in_range(int(into)):
        messages.error(
            request,
            _("Statement #%(number)s: choose the statement to merge it into.") % {"number": number},
        )
        return redirect(_moderation_url(space))
    target = selectors.statement_get_visible(
        space=space, number=int(into), participant=None, moderator=True
    )
    try:
        carried = services.statement_merge(
            space=space, source=source, target=target, actor=request.user
        )
    except ApplicationError as exc:
        messages.error(
            request,
            _("Statement #%(number)s: %(errors)s") % {"number": number, "errors": exc.message},
        )
    except ValidationError as exc:
        messages.error(
            request,
            _("Statement #%(number)s: %(errors)s")
            % {"number": number, "errors": "; ".join(_errors(exc))},
        )
    else:
        messages.success(
            request,
            ngettext(
                "Statement #%(number)s merged into #%(target)s: %(carried)s vote now counts "
                "for #%(target)s; the decision log records it.",
                "Statement #%(number)s merged into #%(target)s: %(carried)s votes now count "
                "for #%(target)s; the decision log records it.",
                carried,
            )
            % {"number": number, "target": target.number, "carried": carried},
        )
    return redirect(_moderation_url(space))


@login_required
@require_POST
def argument_moderate(
    request: HtmxHttpRequest, space_id: int, argument_id: int
) -> HttpResponseBase:
    space = _access(request, space_id, Action.MODERATE).space
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
        messages.error(request, _("Argument: %(errors)s") % {"errors": "; ".join(_errors(exc))})
    else:
        messages.success(request, str(ARGUMENT_DECIDED[decision]))
    return redirect(_moderation_url(space))


@login_required
@require_POST
def flag_dismiss(request: HtmxHttpRequest, space_id: int, flag_id: int) -> HttpResponseBase:
    space = _access(request, space_id, Action.MODERATE).space
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
        messages.success(request, _("Flag dismissed; recorded in the decision log."))
    return redirect(_moderation_url(space))


@login_required
@require_POST
def statement_seed(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    space = _access(request, space_id, Action.MODERATE).space
    try:
        statement = services.statement_seed(
            space=space,
            actor=request.user,
            text=request.POST.get("text", ""),
            is_meta=request.POST.get("is_meta") == "on",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(
            request, _("Seed statement #%(number)s added.") % {"number": statement.number}
        )
    return redirect(_moderation_url(space))


@require_GET
def decision_log(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id)
    space = access.space
    decisions = list(selectors.decision_log(space=space)[:500])
    for d in decisions:
        # A removed statement or argument is logged by number and reason for
        # everyone; its words only for those who moderate (decided here, not
        # in the template, so no partial or export can skip the rule).
        target = d.argument or d.statement
        visible = target is not None and (
            access.may_moderate or target.status == ModerationStatus.ACCEPTED
        )
        d.shown_text = target.text if visible else None  # type: ignore[attr-defined,union-attr]
    return render(
        request,
        "elicitation/decisions.html",
        {
            "space": space,
            "access": access,
            "decisions": decisions,
            "tab": "decisions",
        },
    )
