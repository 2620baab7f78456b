"""Voting from the space page (the htmx vote card)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation import services
from elicitation.forms import VoteForm, form_input
from elicitation.models import Participant
from elicitation.throttles import form_throttle
from elicitation.views.common import HtmxHttpRequest, _done, _errors, _participate
from elicitation.views.context import _int, _space_page_context, _statement_context, _vote_context


@require_POST
@vary_on_headers("HX-Request")
@form_throttle("space_votes")
def vote(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    access, identity = _participate(request, space_id)
    space = access.space
    number = _int(request.POST.get("statement"))
    back = request.POST.get("next") or ""
    back_url = back if back.startswith(f"/s/{space.pk}/") else space.get_absolute_url()
    error, status = "", 200
    participant: Participant | None
    try:
        participant = identity.participant()
        vote = form_input(VoteForm(request.POST))
        outcome = services.vote_cast(
            participant=participant, statement_number=vote["statement"], value=vote["value"]
        )
    except ApplicationError as exc:
        participant, error, status = None, exc.message, http_status(exc)
    except ValidationError as exc:
        participant, error, status = None, "; ".join(_errors(exc)), 400
    if request.htmx:
        # One access object for the whole card: the role was read once, above.
        context = _vote_context(request, access, error, participant)
        if not error:
            context["last_vote"] = outcome
        response = render(request, "elicitation/space.html#vote-card", context, status=status)
        return identity.attach(response)
    if error:
        # Without JS: the page again, the error on the card, the 4xx status kept.
        if back_url != space.get_absolute_url() and number is not None:
            context = _statement_context(access, number, vote_error=error)
            return identity.attach(
                render(request, "elicitation/statement.html", context, status=status)
            )
        context = _space_page_context(request, access, error, participant)
        return identity.attach(render(request, "elicitation/space.html", context, status=status))
    recorded = {
        1: _("Recorded: agree on statement #%(number)s."),
        -1: _("Recorded: disagree on statement #%(number)s."),
        0: _("Recorded: pass on statement #%(number)s."),
    }[outcome.value]
    return _done(request, identity, back_url, recorded % {"number": outcome.statement.number})
