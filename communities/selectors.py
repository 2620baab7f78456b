"""Reads that cross a permission boundary."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from communities.models import (
    AccountSettings,
    ApiToken,
    Community,
    Invitation,
    Membership,
    SegmentAnswer,
    SegmentQuestion,
)
from communities.roles import ROLE_RANK, Action, Role, role_allows

# Cells of fewer people than this are never shown or exported: with small
# counts an answer could be traced back to a person.
MIN_CELL_SIZE = 5


def community_get_visible(*, user: User | AnonymousUser, slug: str) -> Community:
    """The community if the user may see it; 404 otherwise (private ones stay hidden)."""
    community = Community.objects.visible_to(user).filter(slug=slug).first()
    if community is None:
        raise Http404(_("No such community, or it is private."))
    return community


def membership_for(*, user: User | AnonymousUser, community: Community) -> Membership | None:
    """The user's active membership, or None (anonymous, not a member, or banned)."""
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(
        user=user, community=community, status=Membership.Status.ACTIVE
    ).first()


def community_get_for_action(
    *, user: User | AnonymousUser, slug: str, action: Action
) -> tuple[Community, Membership | None]:
    """The community and the user's membership if they may do `action`.

    404 when they may not see the community at all (private and not a member,
    banned); PermissionDenied when they see it but their role does not allow
    `action`. VIEW of a public community needs no membership.
    """
    community = community_get_visible(user=user, slug=slug)
    membership = membership_for(user=user, community=community)
    if action == Action.VIEW:
        return community, membership
    if not role_allows(membership.role if membership else None, action):
        who = membership.get_role_display() if membership else _("not a member")
        raise PermissionDenied(
            _("Your role in %(community)s (%(role)s) does not allow this (%(action)s).")
            % {"community": community.name, "role": who, "action": action.value}
        )
    return community, membership


def community_list_visible(*, user: User | AnonymousUser) -> QuerySet[Community]:
    """Communities the user may see, with their active member count, by name."""
    return (
        Community.objects.visible_to(user)
        .annotate(
            member_count=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.ACTIVE),
                distinct=True,
            )
        )
        .order_by("name")
    )


def _by_rank(memberships: Iterable[Membership]) -> list[Membership]:
    return sorted(memberships, key=lambda m: (-ROLE_RANK[Role(m.role)], m.user.username.lower()))


def community_members(
    *, user: User | AnonymousUser, community: Community, include_banned: bool = False
) -> list[Membership]:
    """The member list, owners first. Only active members may see who else is in;
    only those who manage members see the banned ones."""
    membership = membership_for(user=user, community=community)
    if membership is None:
        raise PermissionDenied(_("Only members see who else belongs to this community."))
    statuses = [Membership.Status.ACTIVE]
    if include_banned:
        if not role_allows(membership.role, Action.MANAGE_MEMBERS):
            raise PermissionDenied(_("Only owners and facilitators see banned members."))
        statuses.append(Membership.Status.BANNED)
    return _by_rank(
        Membership.objects.filter(community=community, status__in=statuses).select_related("user")
    )


def user_memberships(*, user: User) -> list[Membership]:
    """The user's active memberships with their communities (the account page)."""
    return list(
        Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
        .select_related("community")
        .order_by("community__name")
    )


def invitation_list(*, user: User | AnonymousUser, community: Community) -> QuerySet[Invitation]:
    membership = membership_for(user=user, community=community)
    if not role_allows(membership.role if membership else None, Action.MANAGE_MEMBERS):
        raise PermissionDenied(_("Only owners and facilitators see the invitations."))
    return Invitation.objects.filter(community=community).select_related("created_by")


def invitation_get_by_token(*, token: str) -> Invitation:
    """Anyone holding the link may see what it invites to; 404 for an unknown token."""
    invitation = Invitation.objects.select_related("community").filter(token=token).first()
    if invitation is None:
        raise Http404(_("No such invitation. Check that the link was copied completely."))
    return invitation


def segment_questions(*, community: Community) -> list[SegmentQuestion]:
    return list(SegmentQuestion.objects.filter(community=community))


def segment_answers_of(*, user: User | AnonymousUser, community: Community) -> dict[int, str]:
    """The user's OWN answers, question id -> choice. No selector returns anyone else's."""
    membership = membership_for(user=user, community=community)
    if membership is None:
        return {}
    return dict(
        SegmentAnswer.objects.filter(membership=membership).values_list("question_id", "choice")
    )


def segment_cells(
    community: Community,
    question: SegmentQuestion,
    *,
    user_ids: Iterable[int] | None = None,
) -> dict[str, int | None]:
    """How many active members chose each answer: choice -> count, in the question's
    order; None where fewer than MIN_CELL_SIZE people chose it (suppressed, also 0).

    `user_ids` restricts the count to those people (say, the participants of a
    space); the result is still only counts, never who answered what.
    """
    if question.community_id != community.pk:
        raise ValueError("The question belongs to another community.")
    answers = SegmentAnswer.objects.filter(
        question=question, membership__status=Membership.Status.ACTIVE
    )
    if user_ids is not None:
        answers = answers.filter(membership__user_id__in=list(user_ids))
    counts = dict(answers.values_list("choice").annotate(n=Count("id")).values_list("choice", "n"))
    cells: dict[str, int | None] = {}
    for choice in question.choices:
        n = counts.get(choice, 0)
        cells[choice] = n if n >= MIN_CELL_SIZE else None
    return cells


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def account_preferences(*, user_id: int | str) -> tuple[str, str]:
    """The saved (language, time zone) of a user; "" for each that the browser decides."""
    saved = AccountSettings.objects.filter(user_id=user_id).values_list("language", "time_zone")
    return saved.first() or ("", "")


def account_settings_of(*, user: User) -> AccountSettings:
    """The user's settings, unsaved defaults when they never chose anything."""
    return AccountSettings.objects.filter(user=user).first() or AccountSettings(user=user)
