"""Page context that several space pages build: the vote card, the space page, one statement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from elicitation import selectors
from elicitation.identity import find_participant
from elicitation.models import Space
from elicitation.views.common import _can_participate, _login_url, _roles


def _vote_context(
    request: HttpRequest, space: Space, participant: Any, error: str = ""
) -> dict[str, Any]:
    routing = selectors.latest_routing(space=space)
    return {
        "space": space,
        "statement": selectors.statement_next(space=space, participant=participant, routing=routing)
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


def _int(value: Any) -> int | None:
    """A form's whole number, or None when it is missing, malformed or beyond 64 bits
    (no id or number is that large, and the database would overflow on it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -(2**63) <= number < 2**63 else None


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


def statement_url(space: Space, number: int) -> str:
    return reverse("elicitation:statement", kwargs={"space_id": space.pk, "number": number})
