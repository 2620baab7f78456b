"""Joining, leaving, roles, removal and bans."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from communities.models import Community, Membership, SegmentAnswer
from communities.roles import Action, Role, role_may_act_on, role_may_assign
from communities.services.common import (
    _active_membership,
    _lock_community,
    _other_owner_exists,
    _require,
)


@transaction.atomic
def membership_join(*, user: User | AnonymousUser, community: Community) -> Membership:
    """Join a public community as a member. Private ones need an invitation."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to join a community."))
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing and existing.status == Membership.Status.BANNED:
        raise PermissionDenied(
            _("You have been banned from %(community)s.") % {"community": community.name}
        )
    if existing:
        raise ValidationError(
            _("You are already a member of %(community)s.") % {"community": community.name},
            code="member",
        )
    if community.visibility != Community.Visibility.PUBLIC:
        raise PermissionDenied(
            _("%(community)s is private: you need an invitation to join.")
            % {"community": community.name}
        )
    membership = Membership(user=user, community=community, role=Role.MEMBER)
    membership.full_clean()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:  # a double click raced past the check above
        raise ValidationError(
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
        raise ValidationError(
            _("You are not a member of %(community)s.") % {"community": community.name},
            code="not_member",
        )
    if membership.role == Role.OWNER and not _other_owner_exists(community, besides=membership):
        raise ValidationError(
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
        raise Http404(_("No such member in this community."))
    return target


def _require_may_act_on(actor_membership: Membership, target: Membership) -> None:
    if not role_may_act_on(actor_membership.role, target.role):
        raise PermissionDenied(
            _("As %(own)s you cannot change, remove or ban a member whose role is %(role)s.")
            % {"own": actor_membership.get_role_display(), "role": target.get_role_display()}
        )


@transaction.atomic
def membership_change_role(
    *, actor: User | AnonymousUser, community: Community, membership_id: int, role: str
) -> Membership:
    """Give a member another role. Nobody grants a role above their own, and
    the last owner cannot be demoted."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role “%(role)s”; choose one of %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    community = _lock_community(community)
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    target = _target_membership(community, membership_id)
    if target.status != Membership.Status.ACTIVE:
        raise ValidationError(_("This member is banned; lift the ban first."), code="banned")
    _require_may_act_on(acting, target)
    if not role_may_assign(acting.role, role):
        raise PermissionDenied(
            _("You cannot grant a role above your own (%(own)s).")
            % {"own": acting.get_role_display()}
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
    """Remove a member (they may rejoin a public community); to leave yourself, use leave."""
    community = _lock_community(community)
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    target = _target_membership(community, membership_id)
    if target.pk == acting.pk:
        raise ValidationError(_("To remove yourself, leave the community."), code="self")
    if target.status != Membership.Status.ACTIVE:
        raise ValidationError(_("This member is banned; lift the ban instead."), code="banned")
    _require_may_act_on(acting, target)
    target.delete()


@transaction.atomic
def membership_ban(
    *, actor: User | AnonymousUser, community: Community, membership_id: int
) -> Membership:
    """Ban a member: they lose access, cannot rejoin (not even by invitation) and
    their segment answers are deleted (they no longer count in any cell)."""
    community = _lock_community(community)
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    target = _target_membership(community, membership_id)
    if target.pk == acting.pk:
        raise ValidationError(_("You cannot ban yourself."), code="self")
    if target.status == Membership.Status.BANNED:
        raise ValidationError(_("This member is already banned."), code="banned")
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
    """Lift a ban. The person is not a member again: they may rejoin like anyone else."""
    community = _lock_community(community)
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    target = _target_membership(community, membership_id)
    if target.status != Membership.Status.BANNED:
        raise ValidationError(_("This member is not banned."), code="not_banned")
    _require_may_act_on(acting, target)
    target.delete()
