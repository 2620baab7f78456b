"""Reads of the elicitation app that cross a permission boundary."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from communities.models import Community, Membership
from communities.roles import Action, role_allows
from elicitation.models import Space


def space_role(*, user: User | AnonymousUser, space: Space) -> str | None:
    """The user's active role in the space's community, or None."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(
            user=user, community_id=space.community_id, status=Membership.Status.ACTIVE
        )
        .only("role")
        .first()
    )
    return membership.role if membership else None


def space_get_for_user(
    *, user: User | AnonymousUser, space_id: int, action: Action = Action.VIEW
) -> Space:
    """The space if `user` may perform `action` on it.

    Raises Http404 when the user may not even know the space exists (a private
    community they are not in, a draft they cannot manage, a banned member) and
    PermissionDenied when they can see it but not do `action`. Spaces open to
    "anyone with the link" are visible to everyone once open, so VIEW and
    PARTICIPATE there do not need a membership.
    """
    space = Space.objects.select_related("community").filter(pk=space_id).first()
    if space is None:
        raise Http404("No such space.")
    community = space.community
    banned = (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, community=community, status=Membership.Status.BANNED
        ).exists()
    )
    if banned:
        raise Http404("No such space.")
    role = space_role(user=user, space=space)
    manager = role_allows(role, Action.CREATE_SPACE)
    if space.phase == Space.Phase.DRAFT and not manager:
        raise Http404("No such space.")
    if community.visibility == Community.Visibility.PRIVATE and role is None:
        open_by_link = space.participation == Space.Participation.LINK
        if not (open_by_link and action in (Action.VIEW, Action.PARTICIPATE)):
            raise Http404("No such space.")
    if action == Action.VIEW:
        return space
    if action == Action.PARTICIPATE and space.participation == Space.Participation.LINK:
        return space
    if action == Action.VIEW_RESULTS and community.visibility == Community.Visibility.PUBLIC:
        return space
    if not role_allows(role, action):
        raise PermissionDenied(f"Your role does not allow this ({action.value}).")
    return space
