"""Statements a person may see, and their argument trees."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from elicitation.models import Argument, ModerationStatus, Participant, Space, Statement


def statement_get_visible(
    *, space: Space, number: int, participant: Participant | None, moderator: bool
) -> Statement:
    """A statement by number: accepted ones for all, pending/rejected for moderators and authors."""
    statement = Statement.objects.filter(space=space, number=number).first()
    if statement is None:
        raise Http404(_("No such statement in this space."))
    own = participant is not None and statement.author_id == participant.pk
    if statement.status != ModerationStatus.ACCEPTED and not (moderator or own):
        raise Http404(_("No such statement in this space."))
    statement.space = space
    return statement


@dataclass
class ArgumentNode:
    argument: Argument
    replies: list[ArgumentNode] = field(default_factory=list)


def argument_tree(
    *, statement: Statement, participant: Participant | None = None
) -> dict[str, list[ArgumentNode]]:
    """Accepted arguments (plus the participant's own pending ones) as threads by stance."""
    visible = Q(status=ModerationStatus.ACCEPTED)
    if participant is not None:
        visible |= Q(status=ModerationStatus.PENDING, author=participant)
    arguments = list(
        Argument.objects.filter(visible, statement=statement)
        .select_related("author")
        .order_by("created_at", "id")
    )
    nodes = {a.pk: ArgumentNode(a) for a in arguments}
    roots: dict[str, list[ArgumentNode]] = {"for": [], "against": []}
    for argument in arguments:
        node = nodes[argument.pk]
        if argument.parent_id is None:
            roots[argument.stance].append(node)
        elif argument.parent_id in nodes:
            nodes[argument.parent_id].replies.append(node)
        # A reply whose parent was removed disappears with it.
    return roots
