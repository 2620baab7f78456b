"""Every write of the communities app: accounts, communities, memberships,
invitations, segment answers and API tokens.

Services check permissions themselves (through the table in roles.py), so the
web views and the API cannot disagree. They raise:

- PermissionDenied when the actor's role does not allow the action,
- ValidationError (with field names where a field is at fault) for bad input
  or a state that forbids the change (the last owner leaving, ...),
- InvitationUnusable for expired, revoked or used-up invitations,
- Http404 for objects the actor may not know about.

Each runs in one transaction: either everything changes or nothing does.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from communities.models import (
    ApiToken,
    Community,
    Invitation,
    Membership,
    SegmentAnswer,
    SegmentQuestion,
)
from communities.roles import Action, Role, role_allows, role_may_act_on, role_may_assign

MAX_SEGMENT_QUESTIONS = 5
MAX_SEGMENT_CHOICES = 12
MAX_ACTIVE_TOKENS = 20
MAX_INVITATION_USES = 10_000
TOKEN_KEY_PREFIX = "ppy_"


class InvitationUnusable(Exception):
    """The invitation exists but can no longer be used; `reason` is revoked|expired|used_up."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- helpers ---------------------------------------------------------------


def _active_membership(user: User | AnonymousUser, community: Community) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(
        user=user, community=community, status=Membership.Status.ACTIVE
    ).first()


def _require(user: User | AnonymousUser, community: Community, action: Action) -> Membership:
    """The actor's active membership if their role allows `action`; PermissionDenied otherwise."""
    membership = _active_membership(user, community)
    if membership is None or not role_allows(membership.role, action):
        role = membership.get_role_display().lower() if membership else "non-member"
        raise PermissionDenied(
            f"Your role in {community.name} ({role}) does not allow this ({action.value})."
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
        raise ValidationError({"name": "The name needs at least 3 characters."})
    if not any(ch.isalnum() for ch in name):
        raise ValidationError({"name": "The name needs at least one letter or digit."})
    return name


def _slug_taken_error(slug: str, user: User | AnonymousUser) -> ValidationError:
    existing = Community.objects.filter(slug=slug).first()
    # Point at the existing community only when the actor may see it; a
    # private community's name must not leak through the sign-up of a slug.
    if existing and Community.objects.visible_to(user).filter(pk=existing.pk).exists():
        return ValidationError(
            {
                "slug": f"The address “{slug}” is already used by the community "
                f"“{existing.name}” ({existing.get_absolute_url()}). Choose another slug."
            },
            code="unique",
        )
    return ValidationError(
        {"slug": f"The address “{slug}” is already taken. Choose another slug."}, code="unique"
    )


# --- accounts ----------------------------------------------------------------


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create an account. The password must already have passed the validators (the form does)."""
    email = User.objects.normalize_email(email.strip())
    if not email:
        raise ValidationError({"email": "An e-mail address is needed to reset a lost password."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


# --- communities ---------------------------------------------------------------


@transaction.atomic
def community_create(
    *,
    user: User,
    name: str,
    slug: str = "",
    description: str = "",
    visibility: str = Community.Visibility.PUBLIC,
) -> Community:
    """Create a community; its creator becomes its first owner."""
    if not user.is_authenticated:
        raise PermissionDenied("Log in to create a community.")
    name = _clean_name(name)
    slug = (slug or slugify(name))[:60].strip("-")
    if not slug:
        raise ValidationError({"slug": "Give an address (letters, digits, hyphens)."})
    if Community.objects.filter(slug=slug).exists():
        raise _slug_taken_error(slug, user)
    community = Community(
        name=name,
        slug=slug,
        description=description.strip(),
        visibility=visibility,
        created_by=user,
    )
    community.full_clean()
    try:
        # A savepoint, so a concurrent creation of the same slug (which passes
        # the check above) turns into the same clear error, not a 500.
        with transaction.atomic():
            community.save()
    except IntegrityError:
        raise _slug_taken_error(slug, user) from None
    owner = Membership(user=user, community=community, role=Role.OWNER)
    owner.full_clean()
    owner.save()
    return community


@transaction.atomic
def community_update(
    *,
    actor: User | AnonymousUser,
    community: Community,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
) -> Community:
    """Change the given fields (None leaves a field as it is). Needs EDIT_COMMUNITY."""
    _require(actor, community, Action.EDIT_COMMUNITY)
    community = _lock_community(community)
    changed: list[str] = []
    if name is not None:
        community.name = _clean_name(name)
        changed.append("name")
    if slug is not None and slug != community.slug:
        if Community.objects.filter(slug=slug).exclude(pk=community.pk).exists():
            raise _slug_taken_error(slug, actor)
        community.slug = slug
        changed.append("slug")
    if description is not None:
        community.description = description.strip()
        changed.append("description")
    if visibility is not None:
        community.visibility = visibility
        changed.append("visibility")
    community.full_clean()
    if changed:
        try:
            with transaction.atomic():
                community.save(update_fields=changed)
        except IntegrityError:
            raise _slug_taken_error(community.slug, actor) from None
    return community


# --- memberships ---------------------------------------------------------------


@transaction.atomic
def membership_join(*, user: User | AnonymousUser, community: Community) -> Membership:
    """Join a public community as a member. Private ones need an invitation."""
    if not user.is_authenticated:
        raise PermissionDenied("Log in to join a community.")
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing and existing.status == Membership.Status.BANNED:
        raise PermissionDenied(f"You have been banned from {community.name}.")
    if existing:
        raise ValidationError(f"You are already a member of {community.name}.", code="member")
    if community.visibility != Community.Visibility.PUBLIC:
        raise PermissionDenied(f"{community.name} is private: you need an invitation to join.")
    membership = Membership(user=user, community=community, role=Role.MEMBER)
    membership.full_clean()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:  # a double click raced past the check above
        raise ValidationError(
            f"You are already a member of {community.name}.", code="member"
        ) from None
    return membership


@transaction.atomic
def membership_leave(*, user: User | AnonymousUser, community: Community) -> None:
    """Leave a community; the last owner must hand over ownership first."""
    community = _lock_community(community)
    membership = _active_membership(user, community)
    if membership is None:
        raise ValidationError(f"You are not a member of {community.name}.", code="not_member")
    if membership.role == Role.OWNER and not _other_owner_exists(community, besides=membership):
        raise ValidationError(
            "You are the last owner: make another member an owner before you leave.",
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
        raise Http404("No such member in this community.")
    return target


def _require_may_act_on(actor_membership: Membership, target: Membership) -> None:
    if not role_may_act_on(actor_membership.role, target.role):
        role = target.get_role_display().lower()
        article = "an" if role[0] in "aeiou" else "a"
        raise PermissionDenied(
            f"As {actor_membership.get_role_display().lower()} you cannot change, remove "
            f"or ban {article} {role}."
        )


@transaction.atomic
def membership_change_role(
    *, actor: User | AnonymousUser, community: Community, membership_id: int, role: str
) -> Membership:
    """Give a member another role. Nobody grants a role above their own, and
    the last owner cannot be demoted."""
    if role not in Role.values:
        raise ValidationError(
            {"role": f"Unknown role “{role}”; choose one of {', '.join(Role.values)}."}
        )
    community = _lock_community(community)
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    target = _target_membership(community, membership_id)
    if target.status != Membership.Status.ACTIVE:
        raise ValidationError("This member is banned; lift the ban first.", code="banned")
    _require_may_act_on(acting, target)
    if not role_may_assign(acting.role, role):
        raise PermissionDenied(
            f"You cannot grant a role above your own ({acting.get_role_display().lower()})."
        )
    if (
        target.role == Role.OWNER
        and role != Role.OWNER
        and not _other_owner_exists(community, besides=target)
    ):
        raise ValidationError(
            {"role": "This is the last owner: make another member an owner first."},
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
        raise ValidationError("To remove yourself, leave the community.", code="self")
    if target.status != Membership.Status.ACTIVE:
        raise ValidationError("This member is banned; lift the ban instead.", code="banned")
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
        raise ValidationError("You cannot ban yourself.", code="self")
    if target.status == Membership.Status.BANNED:
        raise ValidationError("This member is already banned.", code="banned")
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
        raise ValidationError("This member is not banned.", code="not_banned")
    _require_may_act_on(acting, target)
    target.delete()


# --- invitations -----------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    actor: User | AnonymousUser,
    community: Community,
    role: str = Role.MEMBER,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Invitation:
    """An invitation link. None for expires_at / max_uses means no limit."""
    acting = _require(actor, community, Action.MANAGE_MEMBERS)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role “{role}”."})
    if not role_may_assign(acting.role, role):
        raise PermissionDenied(
            f"You cannot invite people as {role}: that is above your own role "
            f"({acting.get_role_display().lower()})."
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if max_uses is not None and not 1 <= max_uses <= MAX_INVITATION_USES:
        raise ValidationError({"max_uses": f"Between 1 and {MAX_INVITATION_USES} uses."})
    invitation = Invitation(
        community=community,
        role=role,
        created_by=acting.user,
        expires_at=expires_at,
        max_uses=max_uses,
    )
    invitation.full_clean()
    invitation.save()
    return invitation


@transaction.atomic
def invitation_revoke(
    *, actor: User | AnonymousUser, community: Community, invitation_id: int
) -> Invitation:
    _require(actor, community, Action.MANAGE_MEMBERS)
    invitation = Invitation.objects.filter(pk=invitation_id, community=community).first()
    if invitation is None:
        raise Http404("No such invitation in this community.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation is already revoked.", code="revoked")
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


INVITATION_MESSAGES = {
    "revoked": "This invitation was revoked. Ask the community for a new link.",
    "expired": "This invitation has expired. Ask the community for a new link.",
    "used_up": "This invitation has been used as many times as it allows. "
    "Ask the community for a new link.",
}


@transaction.atomic
def invitation_accept(*, user: User | AnonymousUser, token: str) -> tuple[Membership, bool]:
    """Join through an invitation; returns (membership, created).

    An existing member keeps their membership and role, and the invitation's
    use is not counted. A banned person cannot use any invitation.
    """
    if not user.is_authenticated:
        raise PermissionDenied("Log in or sign up to accept the invitation.")
    invitation = Invitation.objects.select_related("community").filter(token=token).first()
    if invitation is None:
        raise Http404("No such invitation. Check that the link was copied completely.")
    community = invitation.community
    problem = invitation_problem(invitation)
    if problem:
        raise InvitationUnusable(problem, INVITATION_MESSAGES[problem])
    existing = Membership.objects.filter(user=user, community=community).first()
    if existing and existing.status == Membership.Status.BANNED:
        raise PermissionDenied(
            f"You have been banned from {community.name}; this invitation cannot be used."
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
        raise InvitationUnusable(problem, INVITATION_MESSAGES[problem])
    membership = Membership(user=user, community=community, role=invitation.role)
    membership.full_clean()
    membership.save()
    return membership, True


# --- segments ---------------------------------------------------------------------


def _clean_choices(choices: Sequence[str]) -> list[str]:
    cleaned = [" ".join(str(c).split()) for c in choices]
    if any(not c for c in cleaned):
        raise ValidationError({"choices": "Choices cannot be empty."})
    if len(cleaned) < 2 or len(cleaned) > MAX_SEGMENT_CHOICES:
        raise ValidationError({"choices": f"Give between 2 and {MAX_SEGMENT_CHOICES} choices."})
    if any(len(c) > 120 for c in cleaned):
        raise ValidationError({"choices": "Each choice may have at most 120 characters."})
    if len({c.casefold() for c in cleaned}) != len(cleaned):
        raise ValidationError({"choices": "Each choice must be different."})
    return cleaned


@transaction.atomic
def segment_question_create(
    *, actor: User | AnonymousUser, community: Community, label: str, choices: Sequence[str]
) -> SegmentQuestion:
    """Add an optional question with fixed choices (a community has at most a few)."""
    _require(actor, community, Action.MANAGE_SEGMENTS)
    community = _lock_community(community)
    count = SegmentQuestion.objects.filter(community=community).count()
    if count >= MAX_SEGMENT_QUESTIONS:
        raise ValidationError(
            f"A community has at most {MAX_SEGMENT_QUESTIONS} segment questions.", code="too_many"
        )
    label = " ".join(label.split())
    if len(label) < 2:
        raise ValidationError({"label": "The question needs at least 2 characters."})
    question = SegmentQuestion(
        community=community, label=label, choices=_clean_choices(choices), position=count
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def segment_question_delete(
    *, actor: User | AnonymousUser, community: Community, question_id: int
) -> None:
    """Delete a question and every answer to it."""
    _require(actor, community, Action.MANAGE_SEGMENTS)
    question = SegmentQuestion.objects.filter(pk=question_id, community=community).first()
    if question is None:
        raise Http404("No such segment question in this community.")
    question.delete()


@transaction.atomic
def segment_answers_set(
    *, user: User | AnonymousUser, community: Community, answers: Mapping[int, str | None]
) -> dict[int, str]:
    """Set the user's own answers; None or "" removes an answer ("prefer not to say").

    Questions not mentioned keep their answer. Returns all the user's answers.
    """
    membership = _active_membership(user, community)
    if membership is None:
        raise PermissionDenied(f"Only members of {community.name} answer its questions.")
    questions = {q.pk: q for q in SegmentQuestion.objects.filter(community=community)}
    errors: dict[str, str] = {}
    for question_id, choice in answers.items():
        question = questions.get(question_id)
        if question is None:
            errors[str(question_id)] = "No such question in this community."
        elif choice and choice not in question.choices:
            errors[str(question_id)] = (
                f"“{choice}” is not one of the choices for “{question.label}”."
            )
    if errors:
        raise ValidationError(errors)
    for question_id, choice in answers.items():
        if choice:
            SegmentAnswer.objects.update_or_create(
                membership=membership, question_id=question_id, defaults={"choice": choice}
            )
        else:
            SegmentAnswer.objects.filter(membership=membership, question_id=question_id).delete()
    return dict(
        SegmentAnswer.objects.filter(membership=membership).values_list("question_id", "choice")
    )


# --- API tokens ------------------------------------------------------------------


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token and its key. The key is returned only here; only its hash is kept."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Name the token (for example the script that uses it)."})
    # Lock the user's row so two concurrent creations cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.", code="too_many"
        )
    key = TOKEN_KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(user=user, name=name, prefix=key[:10], key_hash=api_token_hash(key))
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User | AnonymousUser, token_id: int) -> ApiToken:
    if not user.is_authenticated:
        raise PermissionDenied("Log in to manage your tokens.")
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("No such token among yours.")
    if token.revoked_at is not None:
        raise ValidationError("This token is already revoked.", code="revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record that the token was used, at most once a minute (not a write per request)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)
