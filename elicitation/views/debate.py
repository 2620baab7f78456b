"""Posting an argument for or against a statement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.models import Argument, ModerationStatus
from elicitation.throttles import form_throttle
from elicitation.views.common import HtmxHttpRequest, _done, _errors, _participate
from elicitation.views.context import _int, _statement_context, statement_url


@require_POST
@vary_on_headers("HX-Request")
@form_throttle("space_writes")
def argument_create(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponseBase:
    access, identity = _participate(request, space_id)
    space = access.space
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
            messages.error(request, _("Parent: that argument is not on this statement."))
            return identity.attach(HttpResponseRedirect(statement_url(space, number)))
    try:
        argument, _created = services.argument_post(
            statement=statement,
            participant=participant,
            stance=request.POST.get("stance", ""),
            text=request.POST.get("text", ""),
            parent=parent,
        )
    except ApplicationError as exc:
        error, status = exc.message, http_status(exc)
    except ValidationError as exc:
        error, status = "; ".join(_errors(exc)), 400
    else:
        pending = argument.status == ModerationStatus.PENDING
        message = (
            _("Thank you. Your argument waits for a moderator's approval.")
            if pending
            else _("Thank you. Your argument is posted.")
        )
        return _done(request, identity, statement_url(space, number) + "#debate", message)
    if request.htmx:
        context = _statement_context(access, number, argument_error=error)
        return identity.attach(
            render(request, "elicitation/statement.html#debate", context, status=status)
        )
    context = _statement_context(access, number, argument_error=error)
    return identity.attach(render(request, "elicitation/statement.html", context, status=status))
