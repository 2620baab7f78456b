"""Statement pages: proposing, the list, one statement with its arguments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.identity import Identity
from elicitation.models import ModerationStatus
from elicitation.selectors import SpaceAccess
from elicitation.throttles import form_throttle
from elicitation.views.common import HtmxHttpRequest, _access, _done, _errors, _participate
from elicitation.views.context import _statement_context, _vote_context


@require_POST
@form_throttle("space_writes")
def statement_propose(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    access, identity = _participate(request, space_id)
    space = access.space
    text = request.POST.get("text", "")
    try:
        statement = services.statement_propose(
            space=space,
            participant=identity.participant(),
            text=text,
            distinct=request.POST.get("distinct") == "1",
        )
    except services.SimilarStatements as exc:
        similar = [
            {**match, "percent": round(match["similarity"] * 100)} for match in exc.extra["similar"]
        ]
        return _propose_error(
            request, access, identity, exc.message, http_status(exc), text, similar=similar
        )
    except services.DuplicateStatement as exc:
        url = exc.existing.get_absolute_url()
        return _propose_error(request, access, identity, exc.message, http_status(exc), text, url)
    except ApplicationError as exc:
        return _propose_error(request, access, identity, exc.message, http_status(exc), text)
    except ValidationError as exc:
        return _propose_error(request, access, identity, "; ".join(_errors(exc)), 400, text)
    if statement.status == ModerationStatus.PENDING:
        message = _("Thank you. Statement #%(number)s waits for a moderator's approval.") % {
            "number": statement.number
        }
    else:
        message = _("Thank you. Statement #%(number)s is now open for votes.") % {
            "number": statement.number
        }
    if request.htmx:
        response = render(
            request,
            "elicitation/space.html#propose",
            {"space": space, "access": access, "propose_message": message},
            status=201,
        )
        return identity.attach(response)
    return _done(request, identity, space.get_absolute_url() + "#propose", message)


def _propose_error(
    request: HtmxHttpRequest,
    access: SpaceAccess,
    identity: Identity,
    error: str,
    status: int,
    text: str,
    duplicate_url: str = "",
    similar: list[dict[str, object]] | None = None,
) -> HttpResponseBase:
    space = access.space
    context = {
        "space": space,
        "access": access,
        "propose_error": error,
        "propose_text": text,
        "duplicate_url": duplicate_url,
        "similar": similar or [],
    }
    if request.htmx:
        return identity.attach(
            render(request, "elicitation/space.html#propose", context, status=status)
        )
    # Without JS: the whole page again, with the error next to the form and the text kept.
    full = _vote_context(request, access)
    full.update(context)
    full.update({"counts": selectors.space_counts(space=space), "tab": "vote"})
    return identity.attach(render(request, "elicitation/space.html", full, status=status))


@require_GET
def statement_list(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id)
    space = access.space
    return render(
        request,
        "elicitation/statement_list.html",
        {
            "space": space,
            "access": access,
            "page": Paginator(selectors.statements_with_counts(space=space), 100).get_page(
                request.GET.get("page")
            ),
            "tab": "statements",
        },
    )


@require_GET
def statement_detail(request: HtmxHttpRequest, space_id: int, number: int) -> HttpResponse:
    access = _access(request, space_id)
    return render(request, "elicitation/statement.html", _statement_context(access, number))
