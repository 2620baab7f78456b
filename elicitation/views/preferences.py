"""Pairwise comparison and ranking pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.forms import ComparisonForm, form_input, ranking_numbers_clean
from elicitation.models import Participant
from elicitation.selectors import SpaceAccess
from elicitation.throttles import form_throttle
from elicitation.views.common import HtmxHttpRequest, _access, _done, _errors, _participate


def _pair_context(
    access: SpaceAccess, participant: Participant | None = None, **extra: Any
) -> dict[str, Any]:
    space = access.space
    return {
        "space": space,
        "access": access,
        "pair": selectors.pair_next(space=space, participant=participant or access.participant),
        "tab": "pairwise",
        **extra,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@form_throttle("space_votes")
def pairwise(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    if request.method == "GET":
        context = _pair_context(_access(request, space_id))
        return render(request, "elicitation/pairwise.html", context)
    access, identity = _participate(request, space_id)
    space = access.space
    participant: Participant | None
    error, status, message = "", 201, ""
    try:
        participant = identity.participant()
        answer = form_input(ComparisonForm(request.POST))
        _comparison, created = services.comparison_record(
            participant=participant,
            statement_a=answer["statement_a"],
            statement_b=answer["statement_b"],
            choice=answer["choice"],
            reason=answer["reason"],
        )
        message = _("Thank you, recorded.") if created else _("Updated your last answer.")
    except ApplicationError as exc:
        participant, error, status = None, exc.message, http_status(exc)
    except ValidationError as exc:
        participant, error, status = None, "; ".join(_errors(exc)), 400
    if request.htmx or error:
        context = _pair_context(access, participant, pair_error=error, pair_message=message)
        template = "elicitation/pairwise.html" + ("#pair" if request.htmx else "")
        return identity.attach(render(request, template, context, status=status))
    url = reverse("elicitation:pairwise", kwargs={"space_id": space.pk})
    return _done(request, identity, url, message)


def _ranking_context(
    access: SpaceAccess, participant: Participant | None = None, **extra: Any
) -> dict[str, Any]:
    space = access.space
    ballot = selectors.ranking_for(participant=participant or access.participant)
    slots = [
        {"position": i, "current": ballot[i - 1].number if i <= len(ballot) else None}
        for i in range(1, space.ranking_size + 1)
    ]
    return {
        "space": space,
        "access": access,
        "ballot": ballot,
        "slots": slots,
        "choices": list(selectors.statements_with_counts(space=space).only("number", "text")),
        "tab": "ranking",
        **extra,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@form_throttle("space_writes")
def ranking(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    if request.method == "GET":
        context = _ranking_context(_access(request, space_id))
        return render(request, "elicitation/ranking.html", context)
    access, identity = _participate(request, space_id)
    space = access.space
    # Position selects: position_1 .. position_k; blanks are skipped, order kept.
    chosen = [
        request.POST.get(f"position_{i}", "").strip()
        for i in range(1, max(space.ranking_size, 20) + 1)
    ]
    numbers = [value for value in chosen if value]
    error, status, message = "", 200, ""
    participant: Participant | None = None
    try:
        participant = identity.participant()
        services.ranking_submit(
            participant=participant, statement_numbers=ranking_numbers_clean(numbers)
        )
        message = _("Your ranking is saved. You can change it until the space closes.")
    except ApplicationError as exc:
        error, status = exc.message, http_status(exc)
    except ValidationError as exc:
        error, status = "; ".join(_errors(exc)), 400
    if request.htmx or error:
        context = _ranking_context(
            access, participant, ranking_error=error, ranking_message=message
        )
        template = "elicitation/ranking.html" + ("#ballot" if request.htmx else "")
        return identity.attach(render(request, template, context, status=status))
    url = reverse("elicitation:ranking", kwargs={"space_id": space.pk})
    return _done(request, identity, url, message)
