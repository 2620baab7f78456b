"""Joining, leaving, roles, removal and bans."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from communities.models import Community, Membership, SegmentAnswer
from communities.roles import Role, role_may_act_on, role_may_assign
from communities.services.common import (
    _acting_membership,
    _active_membership,
    _lock_community,
    _other_owner_exists,
)
from config.exceptions import Conflict, Forbidden, Invalid, NotFound


@transaction.atomic
def membership_join(*, user: User | AnonymousUser, community: Community) -> Membership:
    """Join a public community as a member. Private ones need an invitation."""
    if not user.is_authenticated:
        raise Forbidden(_("Log in to join a community."), code="login_required")
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing and existing.status == Membership.Status.BANNED:
        raise Forbidden(
            _("You have been banned from %(community)s.") % {"community": community.name},
            code="banned",
        )
    if existing:
        raise Conflict(
            _("You are already a member of %(community)s.") % {"community": community.name},
            code="member",
        )
    if community.visibility != Community.Visibility.PUBLIC:
        raise Forbidden(
            f"{community.name} is private: you need an invitation to join.", code="private"
        )
    membership = Membership(user=user, community=community, role=Role.MEMBER)
    membership.full_clean()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:  # a double click raced past the check above
        raise Conflict(
            _("You are already a member of %(community)s.") % {"community": community.name},
            code="member",
        ) from None
    return membership


@transaction.atomic
def membership_leave(*, user: User | AnonymousUser, community: Community) -> None:
    """Leave a community; the last owner must hand over ownership first."""
    community = _lock_community(community)
    membership = _active_membership(user, community)
    if membership is None:
        raise Conflict(
            _("You are not a member of %(community)s.") % {"community": community.name},
            code="not_member",
        )
    if membership.role == Role.OWNER and not _other_owner_exists(community, besides=membership):
        raise Conflict(
            _("You are the last owner: make another member an owner before you leave."),
            code="last_owner",
        )
    membership.delete()


def _target_membership(community: Community, membership_id: int) -> Membership:
    target = (
        Membership.objects.select_related("user")
        .filter(pk=membership_id, community=community)
        .first()
    )
    if target is None:
        raise NotFound(_("No such member in this community."))
    return target


def _acting_and_target(
    actor: User | AnonymousUser, community: Community, membership_id: int
) -> tuple[Membership, Membership]:
    """Lock the community, then read the actor's and the target's memberships under that lock."""
    community = _lock_community(community)
    return _acting_membership(actor, community), _target_membership(community, membership_id)


def _require_may_act_on(actor_membership: Membership, target: Membership) -> None:
    if not role_may_act_on(actor_membership.role, target.role):
        raise Forbidden(
            _("As %(own)s you cannot change, remove or ban a member whose role is %(role)s.")
            % {"own": actor_membership.get_role_display(), "role": target.get_role_display()},
            code="role_rank",
        )


@transaction.atomic
def membership_change_role(
    *, actor: User | AnonymousUser, community: Community, membership_id: int, role: str
) -> Membership:
    """Give a member another role. Nobody grants a role above their own, and
    the last owner cannot be demoted. The caller checked MANAGE_MEMBERS."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role “%(role)s”; choose one of %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    acting, target = _acting_and_target(actor, community, membership_id)
    if target.status != Membership.Status.ACTIVE:
        raise Conflict(_("This member is banned; lift the ban first."), code="banned")
    _require_may_act_on(acting, target)
    if not role_may_assign(acting.role, role):
        raise Forbidden(
            _("You cannot grant a role above your own (%(own)s).")
            % {"own": acting.get_role_display()},
            code="role_rank",
        )
    if (
        target.role == Role.OWNER
        and role != Role.OWNER
        and not _other_owner_exists(community, besides=target)
    ):
        raise ValidationError(
            {"role": _("This is the last owner: make another member an owner first.")},
            code="last_owner",
        )
    if target.role != role:
        target.role = role
        target.full_clean()
        target.save(update_fields=["role", "updated_at"])
    return target


@transaction.atomic
def membership_remove(
    *, actor: User | AnonymousUser, community: Community, membership_id: int
) -> None:
    """Remove a member (they may rejoin a public community); to leave yourself, use leave.

    The caller checked MANAGE_MEMBERS."""
    acting, target = _acting_and_target(actor, community, membership_id)
    if target.pk == acting.pk:
        raise Invalid(_("To remove yourself, leave the community."), code="self")
    if target.status != Membership.Status.ACTIVE:
        raise Conflict(_("This member is banned; lift the ban instead."), code="banned")
    _require_may_act_on(acting, target)
    target.delete()


@transaction.atomic
def membership_ban(
    *, actor: User | AnonymousUser, community: Community, membership_id: int
) -> Membership:
    """Ban a member: they lose access, cannot rejoin (not even by invitation) and
    their segment answers are deleted (they no longer count in any cell).
    The caller checked MANAGE_MEMBERS."""
    acting, target = _acting_and_target(actor, community, membership_id)
    if target.pk == acting.pk:
        raise Invalid(_("You cannot ban yourself."), code="self")
    if target.status == Membership.Status.BANNED:
        raise Conflict(_("This member is already banned."), code="banned")
    _require_may_act_on(acting, target)
    target.status = Membership.Status.BANNED
    target.full_clean()
    target.save(update_fields=["status", "updated_at"])
    SegmentAnswer.objects.filter(membership=target).delete()
    return target


@transaction.atomic
def membership_unban(
    *, actor: User | AnonymousUser, community: Community, membership_id: int
) -> None:
    """Lift a ban. The person is not a member again: they may rejoin like anyone else.

    The caller checked MANAGE_MEMBERS."""
    acting, target = _acting_and_target(actor, community, membership_id)
    if target.status != Membership.Status.BANNED:
        raise Conflict(_("This member is not banned."), code="not_banned")
    _require_may_act_on(acting, target)
    target.delete()
