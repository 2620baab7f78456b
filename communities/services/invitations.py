"""Invitations: creating, revoking, accepting."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Community, Invitation, Membership
from communities.roles import Role, role_may_assign
from communities.services.common import _acting_membership
from config.exceptions import Conflict, Forbidden, Gone, NotFound

MAX_INVITATION_USES = 10_000


class InvitationUnusable(Gone):
    """The invitation exists but can no longer be used; `reason` (the code) is
    revoked|expired|used_up."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, code=reason)
        self.reason = reason


@transaction.atomic
def invitation_create(
    *,
    actor: User | AnonymousUser,
    community: Community,
    role: str = Role.MEMBER,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    email: str = "",
    language: str = "",
) -> Invitation:
    """An invitation link. None for expires_at / max_uses means no limit.

    With `email`, the link is also e-mailed to that address (after the
    commit, in `language`: the inviter's), unless the address refused
    invitations (ValidationError on `email`, and no invitation is made).
    The caller checked MANAGE_MEMBERS; nobody invites above their own role.
    """
    acting = _acting_membership(actor, community)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role “%(role)s”.") % {"role": role}})
    if not role_may_assign(acting.role, role):
        raise Forbidden(
            _("You cannot invite people as %(role)s: that is above your own role (%(own)s).")
            % {"role": role, "own": acting.get_role_display()},
            code="role_rank",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if max_uses is not None and not 1 <= max_uses <= MAX_INVITATION_USES:
        raise ValidationError(
            {"max_uses": _("Between 1 and %(max)d uses.") % {"max": MAX_INVITATION_USES}}
        )
    invitation = Invitation(
        community=community,
        role=role,
        created_by=acting.user,
        expires_at=expires_at,
        max_uses=max_uses,
    )
    invitation.full_clean()
    invitation.save()
    if email:
        # Local import: notifications reads communities' models.
        from notifications.services import notify_invitation

        notify_invitation(invitation=invitation, email=email, language=language)
    return invitation


@transaction.atomic
def invitation_revoke(*, community: Community, invitation_id: int) -> Invitation:
    """Revoke an invitation of `community`; the caller checked MANAGE_MEMBERS."""
    invitation = Invitation.objects.filter(pk=invitation_id, community=community).first()
    if invitation is None:
        raise NotFound(_("No such invitation in this community."))
    if invitation.revoked_at is not None:
        raise Conflict(_("This invitation is already revoked."), code="revoked")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_problem(invitation: Invitation, *, now: datetime | None = None) -> str | None:
    """Why the invitation cannot be used (revoked|expired|used_up), or None."""
    now = now or timezone.now()
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return "expired"
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return "used_up"
    return None


# They name no community: the person holding a dead link may not be allowed
# to know which one it was (communities.views.invitations).
INVITATION_MESSAGES = {
    "revoked": gettext_lazy(
        "This invitation was revoked. Ask the person who sent it for a new link."
    ),
    "expired": gettext_lazy(
        "This invitation has expired. Ask the person who sent it for a new link."
    ),
    "used_up": gettext_lazy(
        "This invitation has been used as many times as it allows. "
        "Ask the person who sent it for a new link."
    ),
}


@transaction.atomic
def invitation_accept(*, user: User | AnonymousUser, token: str) -> tuple[Membership, bool]:
    """Join through an invitation; returns (membership, created).

    An existing member keeps their membership and role, and the invitation's
    use is not counted. A banned person cannot use any invitation.
    """
    if not user.is_authenticated:
        raise Forbidden(_("Log in or sign up to accept the invitation."), code="login_required")
    invitation = Invitation.objects.select_related("community").filter(token=token).first()
    if invitation is None:
        raise NotFound(_("No such invitation. Check that the link was copied completely."))
    community = invitation.community
    problem = invitation_problem(invitation)
    if problem:
        raise InvitationUnusable(problem, str(INVITATION_MESSAGES[problem]))
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing and existing.status == Membership.Status.BANNED:
        raise Forbidden(
            _("You have been banned from %(community)s; this invitation cannot be used.")
            % {"community": community.name},
            code="banned",
        )
    if existing:
        return existing, False
    now = timezone.now()
    # Count the use with one conditional UPDATE: two people accepting the last
    # use at the same moment both passed the check above, but only one UPDATE
    # matches `uses < max_uses`, so the limit can never be exceeded.
    counted = (
        Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )
    if counted != 1:
        invitation.refresh_from_db()
        problem = invitation_problem(invitation, now=now) or "used_up"
        raise InvitationUnusable(problem, str(INVITATION_MESSAGES[problem]))
    membership = Membership(user=user, community=community, role=invitation.role)
    membership.full_clean()
    membership.save()
    return membership, True
