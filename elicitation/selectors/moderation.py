"""The facilitators' moderation queue and the public decision log."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from elicitation.models import Argument, Flag, ModerationAction, ModerationStatus, Space, Statement


def moderation_queue(*, space: Space) -> dict[str, Any]:
    """Pending statements and arguments and open flags, each list in one query."""
    return {
        "statements": list(
            Statement.objects.filter(space=space, status=ModerationStatus.PENDING)
            .select_related("author")
            .order_by("created_at", "number")
        ),
        "arguments": list(
            Argument.objects.filter(statement__space=space, status=ModerationStatus.PENDING)
            .select_related("statement", "author")
            .order_by("created_at", "id")
        ),
        "flags": list(
            Flag.objects.filter(
                Q(statement__space=space) | Q(argument__statement__space=space),
                resolved_at__isnull=True,
            )
            .select_related("statement", "argument__statement", "reporter")
            .order_by("created_at", "id")
        ),
    }


# Detail keys that quote a statement's words in a translation (services.translations).
_TRANSLATION_TEXT_KEYS = ("text", "previous")


def decision_detail_for_reader(decision: ModerationAction, *, may_moderate: bool) -> dict[str, Any]:
    """The entry's detail as a reader may see it: a translation of a statement that is not
    accepted (pending, removed) is logged by language only for those who do not moderate,
    as the statement itself is (its words are not public)."""
    detail = dict(decision.detail or {})
    statement = decision.statement
    if (
        decision.action == ModerationAction.Action.TRANSLATE
        and statement is not None
        and statement.status != ModerationStatus.ACCEPTED
        and not may_moderate
    ):
        for key in _TRANSLATION_TEXT_KEYS:
            detail.pop(key, None)
    return detail


def decision_log(*, space: Space) -> QuerySet[ModerationAction]:
    """The public decision log, newest first; actors appear by role, not by name."""
    return ModerationAction.objects.filter(space=space).select_related("statement", "argument")
