"""Who may do what in a space, and whether the space takes input: decided here, once.

`space_access` loads a space with the person's membership (one query for the
space, one for the membership, whatever the request goes on to do) and
returns a `SpaceAccess`: the space, the person's role, their participant
(found on first use) and what they may do. Pages, the API, services and
templates read that object; none of them asks the role table or the space's
phase again.

`input_refusal` is the one rule for "does this space take input now" (phase,
schedule, activity switched on). The vote statement for token holders
(`services.votes`) says the same in SQL for speed;
tests/elicitation/test_access_rule.py proves the two agree on every case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Community, Membership
from communities.roles import Action, role_allows
from elicitation.models import Participant, Space

ACTIVITY_LABELS = {
    "statements": gettext_lazy("Statements and votes"),
    "pairwise": gettext_lazy("Pairwise comparison"),
    "ranking": gettext_lazy("Ranking"),
    "debate": gettext_lazy("Debate"),
}


@dataclass(frozen=True)
class InputRefusal:
    """Why a space takes no input now: its state (`activity_off` False) or a switched-off activity."""

    message: str
    # space_closed, space_not_open or activity_off (the API's error code)
    code: str
    activity_off: bool = False


def input_refusal(
    space: Space, activity: str | None = None, *, now: datetime | None = None
) -> InputRefusal | None:
    """None when `space` takes input now (and `activity`, if named, is on); else why not.

    Input needs the open phase and, if a schedule is set, opens_at <= now < closes_at.
    `activity` is one of ACTIVITY_LABELS.
    """
    if space.phase == Space.Phase.CLOSED:
        return InputRefusal(_("This space is closed; it accepts no new input."), "space_closed")
    if space.phase == Space.Phase.DRAFT:
        return InputRefusal(_("This space is not open yet."), "space_not_open")
    now = now or timezone.now()
    if space.opens_at and now < space.opens_at:
        return InputRefusal(
            _("This space opens at %(when)s UTC.") % {"when": f"{space.opens_at:%Y-%m-%d %H:%M}"},
            "space_not_open",
        )
    if space.closes_at and now >= space.closes_at:
        return InputRefusal(
            _("This space's schedule has ended; it accepts no new input."), "space_closed"
        )
    if activity is not None and not getattr(space, f"{activity}_enabled"):
        return InputRefusal(
            _("%(activity)s is switched off in this space.")
            % {"activity": ACTIVITY_LABELS[activity]},
            "activity_off",
            activity_off=True,
        )
    return None


def takes_input(space: Space) -> bool:
    """Whether the space takes input now (any activity): `input_refusal` said nothing."""
    return input_refusal(space) is None


@dataclass(frozen=True)
class LinkProof:
    """What a request shows for having come through a space's "anyone with the link" URL.

    `identity.link_proof` builds it from the request without loading the
    space; `space_access` checks it against the space it loads.
    """

    # Link tokens the request presents (the API's X-Space-Link header, the
    # signed grant that /j/<token>/ leaves in the browser), compared with the
    # space's own.
    tokens: tuple[str, ...] = ()
    # The space whose signed participant token the request carries: only the
    # link hands such tokens out, so holding one proves the link was used.
    # The vote statement for token holders (`services.votes_cast_for_anon_tokens`)
    # relies on this: it admits a holder of such a token without looking at
    # the community.
    participant_token_for: int | None = None

    def admits(self, space: Space) -> bool:
        return self.participant_token_for == space.pk or any(
            constant_time_compare(token, space.link_token) for token in self.tokens
        )


def _no_participant(space: Space) -> Participant | None:
    return None


@dataclass(frozen=True)
class SpaceAccess:
    """A space as one person may use it: everything a request may do, decided once."""

    space: Space
    role: str | None  # the active role in the space's community; None for non-members
    may_participate: bool  # vote, propose, compare, rank, argue (when the space takes input)
    may_moderate: bool
    may_manage: bool  # edit the space, change its phase, import and export, run analyses
    may_see_results: bool
    find_participant: Callable[[Space], Participant | None] = field(
        default=_no_participant, repr=False, compare=False
    )

    @cached_property
    def participant(self) -> Participant | None:
        """The person's existing participant in the space (looked up once, never created)."""
        participant = self.find_participant(self.space)
        if participant is not None:
            participant.space = self.space
        return participant

    def refusal(self, activity: str | None = None) -> InputRefusal | None:
        return input_refusal(self.space, activity)

    @cached_property
    def takes_input(self) -> bool:
        """The space takes input now (open, inside its schedule)."""
        return self.refusal() is None

    @property
    def may_take_part(self) -> bool:
        """The person may take part and the space takes input now: the forms to show."""
        return self.may_participate and self.takes_input

    def allows(self, action: Action) -> bool:
        return {
            Action.VIEW: True,
            Action.PARTICIPATE: self.may_participate,
            Action.MODERATE: self.may_moderate,
            Action.VIEW_RESULTS: self.may_see_results,
        }.get(action, role_allows(self.role, action))


def _membership(user: User | AnonymousUser, community_id: int) -> tuple[str | None, bool]:
    """(active role or None, banned) of the user in the community: the one membership query."""
    if not user.is_authenticated:
        return None, False
    row = (
        Membership.objects.filter(user=user, community_id=community_id)
        .values_list("role", "status")
        .first()
    )
    if row is None:
        return None, False
    role, status = row
    if status == Membership.Status.BANNED:
        return None, True
    return role, False


def community_role(*, user: User | AnonymousUser, community_id: int) -> str | None:
    """The user's active role in the community, or None (not a member, banned, anonymous)."""
    role, _banned = _membership(user, community_id)
    return role


def space_role(*, user: User | AnonymousUser, space: Space) -> str | None:
    """The user's active role in the space's community, or None (for actors of services)."""
    return community_role(user=user, community_id=space.community_id)


def space_access(
    *,
    user: User | AnonymousUser,
    space_id: int,
    action: Action = Action.VIEW,
    link: LinkProof | None = None,
    find_participant: Callable[[Space], Participant | None] = _no_participant,
) -> SpaceAccess:
    """The space and what `user` may do in it, if they may do `action`.

    Raises Http404 when the user may not even know the space exists (a private
    community they are not in, a draft they cannot manage, a banned member) and
    PermissionDenied when they can see it but not do `action`. Spaces open to
    "anyone with the link" need no membership to view and take part once
    open; in a private community a non-member must also have come through the
    link (`link`), or the numeric id alone would open the space. Public
    communities list their spaces anyway, so there the id is enough.
    """
    space = Space.objects.select_related("community").filter(pk=space_id).first()
    if space is None:
        raise Http404(_("No such space."))
    role, banned = _membership(user, space.community_id)
    if banned:
        raise Http404(_("No such space."))
    manage = role_allows(role, Action.CREATE_SPACE)
    if space.phase == Space.Phase.DRAFT and not manage:
        raise Http404(_("No such space."))
    public = space.community.visibility == Community.Visibility.PUBLIC
    link_space = space.participation == Space.Participation.LINK
    through_link = (
        role is None and not public and link_space and link is not None and link.admits(space)
    )
    if not public and role is None and not through_link:
        # 404 rather than 403 without the link: the id must not reveal the space.
        raise Http404(_("No such space."))
    access = SpaceAccess(
        space=space,
        role=role,
        may_participate=link_space or role_allows(role, Action.PARTICIPATE),
        may_moderate=role_allows(role, Action.MODERATE),
        may_manage=manage,
        # A link into a private community opens taking part, not its results.
        may_see_results=public or role_allows(role, Action.VIEW_RESULTS),
        find_participant=find_participant,
    )
    if not access.allows(action):
        if through_link:
            raise Http404(_("No such space."))
        raise PermissionDenied(
            _("Your role does not allow this (%(action)s).") % {"action": action.value}
        )
    return access


def community_get_for_user(
    *, user: User | AnonymousUser, slug: str, action: Action = Action.VIEW
) -> Community:
    """The community if the user may see it and do `action` in it (404 / PermissionDenied)."""
    community = Community.objects.visible_to(user).filter(slug=slug).first()
    if community is None:
        raise Http404(_("No such community, or it is private."))
    if action == Action.VIEW:
        return community
    role, _banned = _membership(user, community.pk)
    if not role_allows(role, action):
        raise PermissionDenied(
            _("Your role does not allow this (%(action)s).") % {"action": action.value}
        )
    return community


def space_list_for_user(*, user: User | AnonymousUser, community: Community) -> QuerySet[Space]:
    """Spaces of a visible community as the user may list them (`Space.objects.visible_to`)."""
    return (
        Space.objects.visible_to(user)
        .filter(community=community)
        .select_related("community")
        .order_by("-created_at", "-id")
    )


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
