"""Reads that cross a permission boundary."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from communities.models import Community, Membership


def community_get_visible(*, user: User | AnonymousUser, slug: str) -> Community:
    """The community if the user may see it; 404 otherwise (private ones stay hidden)."""
    community = Community.objects.visible_to(user).filter(slug=slug).first()
    if community is None:
        raise Http404("No such community, or it is private.")
    return community


def membership_for(*, user: User | AnonymousUser, community: Community) -> Membership | None:
    """The user's active membership, or None (anonymous, not a member, or banned)."""
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(
        user=user, community=community, status=Membership.Status.ACTIVE
    ).first()
