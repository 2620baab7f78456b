"""Page context that several space pages build: the vote card, the space page, one statement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from elicitation import selectors
from elicitation.languages import active_content_language
from elicitation.models import Participant, Space
from elicitation.selectors import SpaceAccess
from elicitation.views.common import _login_url


def _vote_context(
    request: HttpRequest,
    access: SpaceAccess,
    error: str = "",
    participant: Participant | None = None,
) -> dict[str, Any]:
    """The vote card; `participant` when the request just made one, else `access`'s."""
    space = access.space
    participant = participant or access.participant
    routing = selectors.latest_routing(space=space)
    statement = (
        selectors.statement_next(space=space, participant=participant, routing=routing)
        if space.statements_enabled
        else None
    )
    if statement is not None:
        selectors.statements_shown(
            space=space, items=[statement], language=active_content_language()
        )
    return {
        "space": space,
        "access": access,
        "statement": statement,
        "progress": selectors.vote_progress(space=space, participant=participant),
        "vote_error": error,
        "login_url": _login_url(request),
    }


def _space_page_context(
    request: HttpRequest,
    access: SpaceAccess,
    error: str = "",
    participant: Participant | None = None,
) -> dict[str, Any]:
    context = _vote_context(request, access, error, participant)
    space = access.space
    participant = participant or access.participant
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


def _statement_context(access: SpaceAccess, number: int, **extra: Any) -> dict[str, Any]:
    space, participant = access.space, access.participant
    statement = selectors.statement_get_visible(
        space=space, number=number, participant=participant, moderator=access.may_moderate
    )
    selectors.statements_shown(space=space, items=[statement], language=active_content_language())
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
        "access": access,
        "tab": "statements",
        **extra,
    }


def statement_url(space: Space, number: int) -> str:
    return reverse("elicitation:statement", kwargs={"space_id": space.pk, "number": number})
