"""What the communities services share: the actor's membership, locks, names."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.roles import Role
from config.exceptions import Conflict


def _active_membership(user: User | AnonymousUser, community: Community) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(
        user=user, community=community, status=Membership.Status.ACTIVE
    ).first()


def _acting_membership(actor: User | AnonymousUser, community: Community) -> Membership:
    """The actor's active membership, for the rules that compare roles.

    Whether the actor may act at all was decided by the caller
    (`selectors.community_get_for_action`); read under the community's lock,
    this refuses only an actor whose membership ended since that check.
    """
    membership = _active_membership(actor, community)
    if membership is None:
        raise Conflict(
            _("You are no longer a member of %(community)s.") % {"community": community.name},
            code="membership_changed",
        )
    return membership


def _lock_community(community: Community) -> Community:
    """Lock the community row for the rest of the transaction.

    Role changes, removals and departures all check "is someone else still an
    owner?" before changing an owner. Two owners demoting each other at the same
    moment would each see the other as the remaining owner and leave none;
    serialising membership changes per community on this row lock prevents it.
    """
    return Community.objects.select_for_update().get(pk=community.pk)


def _other_owner_exists(community: Community, *, besides: Membership) -> bool:
    return (
        Membership.objects.filter(
            community=community, role=Role.OWNER, status=Membership.Status.ACTIVE
        )
        .exclude(pk=besides.pk)
        .exists()
    )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) < 3:
        raise ValidationError({"name": _("The name needs at least 3 characters.")})
    if not any(ch.isalnum() for ch in name):
        raise ValidationError({"name": _("The name needs at least one letter or digit.")})
    return name


def _slug_taken_error(slug: str, user: User | AnonymousUser) -> ValidationError:
    existing = Community.objects.filter(slug=slug).first()
    # Point at the existing community only when the actor may see it; a
    # private community's name must not leak through the sign-up of a slug.
    if existing and Community.objects.visible_to(user).filter(pk=existing.pk).exists():
        return ValidationError(
            {
                "slug": _(
                    "The address “%(slug)s” is already used by the community “%(name)s” "
                    "(%(url)s). Choose another slug."
                )
                % {"slug": slug, "name": existing.name, "url": existing.get_absolute_url()}
            },
            code="unique",
        )
    return ValidationError(
        {
            "slug": _("The address “%(slug)s” is already taken. Choose another slug.")
            % {"slug": slug}
        },
        code="unique",
    )
