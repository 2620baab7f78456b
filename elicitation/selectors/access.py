"""Who may see or act in a space: the permission-bearing reads every view and API goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.crypto import constant_time_compare

from communities.models import Community, Membership
from communities.roles import Action, role_allows
from elicitation.models import Participant, Space


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


@dataclass(frozen=True)
class LinkProof:
    """What a request shows for having come through a space's "anyone with the link" URL.

    `identity.link_proof` builds it from the request without loading the
    space; `space_get_for_user` checks it against the space it loads.
    """

    # Link tokens the request presents (the API's X-Space-Link header, the
    # signed grant that /j/<token>/ leaves in the browser), compared with the
    # space's own.
    tokens: tuple[str, ...] = ()
    # The space whose signed participant token the request carries: only the
    # link hands such tokens out, so holding one proves the link was used.
    # The vote statement for token holders (`services.votes_cast_for_anon_tokens`,
    # used by the vote API and elicitation.vote_lane) relies on this: it
    # admits a holder of such a token without looking at the community.
    participant_token_for: int | None = None

    def admits(self, space: Space) -> bool:
        return self.participant_token_for == space.pk or any(
            constant_time_compare(token, space.link_token) for token in self.tokens
        )


def space_get_for_user(
    *,
    user: User | AnonymousUser,
    space_id: int,
    action: Action = Action.VIEW,
    link: LinkProof | None = None,
) -> Space:
    """The space if `user` may perform `action` on it.

    Raises Http404 when the user may not even know the space exists (a private
    community they are not in, a draft they cannot manage, a banned member) and
    PermissionDenied when they can see it but not do `action`. Spaces open to
    "anyone with the link" need no membership for VIEW and PARTICIPATE once
    open; in a private community a non-member must also have come through the
    link (`link`), or the numeric id alone would open the space. Public
    communities list their spaces anyway, so there the id is enough.
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
        through_link = (
            space.participation == Space.Participation.LINK
            and link is not None
            and link.admits(space)
        )
        # 404 rather than 403 without the link: the id must not reveal the space.
        if not (through_link and action in (Action.VIEW, Action.PARTICIPATE)):
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


def community_get_for_user(
    *, user: User | AnonymousUser, slug: str, action: Action = Action.VIEW
) -> Community:
    """The community if the user may see it and do `action` in it (404 / PermissionDenied)."""
    community = Community.objects.visible_to(user).filter(slug=slug).first()
    if community is None:
        raise Http404("No such community, or it is private.")
    if action == Action.VIEW:
        return community
    membership = (
        Membership.objects.filter(
            user=user, community=community, status=Membership.Status.ACTIVE
        ).first()
        if user.is_authenticated
        else None
    )
    if not role_allows(membership.role if membership else None, action):
        raise PermissionDenied(f"Your role does not allow this ({action.value}).")
    return community


def space_list_for_user(*, user: User | AnonymousUser, community: Community) -> QuerySet[Space]:
    """Spaces of a visible community; drafts only for those who manage spaces."""
    spaces = Space.objects.filter(community=community).select_related("community")
    role = None
    if user.is_authenticated:
        role = (
            Membership.objects.filter(
                user=user, community=community, status=Membership.Status.ACTIVE
            )
            .values_list("role", flat=True)
            .first()
        )
    if not role_allows(role, Action.CREATE_SPACE):
        spaces = spaces.without_drafts()
    return spaces.order_by("-created_at", "-id")


def participant_find(
    *, space: Space, user: User | AnonymousUser, anon_token: str = "", xid: str = ""
) -> Participant | None:
    """The existing participant for this person, without creating one (reads stay side-effect free)."""
    if xid:
        lookup: dict[str, Any] = {"xid": xid}
    elif user.is_authenticated:
        lookup = {"user": user}
    elif anon_token:
        lookup = {"anon_token": anon_token}
    else:
        return None
    participant = Participant.objects.filter(space=space, **lookup).first()
    if participant is not None:
        participant.space = space  # avoid re-reading the space we already hold
    return participant
