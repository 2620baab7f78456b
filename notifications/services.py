"""E-mail notifications: who gets what, in which language, sent at most once.

An event becomes rows first (`notify_*` fan out one `SentEmail` per
recipient, skipping keys that exist), then each row is sent by its own task
(`email_send`), which claims it with a conditional UPDATE. Both halves may
run any number of times; each e-mail goes out at most once.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.models import AccountSettings, Community, Invitation, Membership
from communities.roles import PERMISSIONS, Action
from config.exceptions import Invalid, NotFound
from config.locale import valid_language, valid_time_zone
from notifications.models import (
    TOPIC_OF_KIND,
    EmailOptOut,
    Kind,
    NotificationPreference,
    SentEmail,
    Topic,
)

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "polyphony.notifications.unsubscribe"
MODERATOR_ROLES = [
    role.value for role, actions in PERMISSIONS.items() if Action.MODERATE in actions
]
# A beat that was down catches up on opens and closes this far back, no further.
SCHEDULE_LOOKBACK = timedelta(days=1)
CLOSING_NOTICE = timedelta(hours=24)


# --- Language and addresses -------------------------------------------------


def languages_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Each account's language: its own setting when it chose one, else the site's."""
    ids = list(user_ids)
    chosen = dict(
        AccountSettings.objects.filter(user_id__in=ids)
        .exclude(language="")
        .values_list("user_id", "language")
    )
    return {
        user_id: valid_language(chosen.get(user_id)) or settings.LANGUAGE_CODE for user_id in ids
    }


def time_zone_of(user: User | None) -> str:
    """The zone an account reads times in: its own setting when it chose one, else the site's."""
    name = None
    if user is not None:
        name = AccountSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return valid_time_zone(name) or str(settings.TIME_ZONE)


def absolute_url(path: str) -> str:
    """A link that works from a mail client: the site's public address plus `path`."""
    return settings.SITE_URL.rstrip("/") + path


# --- Preferences and unsubscribing ------------------------------------------


def preferences_get(*, user: User) -> NotificationPreference:
    """The account's choices; the defaults (unsaved) when it never changed them."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


@transaction.atomic
def preferences_update(*, user: User, **topics: bool) -> NotificationPreference:
    unknown = set(topics) - {Topic.SPACES, Topic.PROFILES, Topic.MODERATION}
    if unknown:
        raise ValidationError({name: _("Unknown e-mail topic.") for name in sorted(unknown)})
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    for name, value in topics.items():
        setattr(preference, name, bool(value))
    preference.full_clean()
    preference.save()
    return preference


def unsubscribe_token(*, topic: str, user: User | None = None, email: str = "") -> str:
    """A signed, non-expiring token naming an account (or a bare address) and a topic.

    It is a capability: whoever holds the link may switch that one topic off,
    without logging in. Tokens signed with another SECRET_KEY are refused.
    """
    payload: dict[str, Any] = {"t": topic}
    if user is not None:
        payload["u"] = user.pk
    else:
        payload["e"] = email.lower()
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


class UnsubscribeInvalid(Invalid):
    default_code = "unsubscribe_invalid"


@dataclass(frozen=True)
class Unsubscribe:
    topic: Topic
    user: User | None
    email: str

    @property
    def address(self) -> str:
        return self.user.email if self.user is not None else self.email

    @property
    def is_done(self) -> bool:
        """Whether the topic is already off for this account or address."""
        if self.user is not None:
            return not preferences_get(user=self.user).wants(self.topic)
        return EmailOptOut.objects.filter(email=self.email).exists()


def unsubscribe_read(token: str) -> Unsubscribe:
    """What an unsubscribe token names; UnsubscribeInvalid when it is not one of ours."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise UnsubscribeInvalid(
            _(
                "This unsubscribe link is not valid: it may have been cut short when it was "
                "copied. Open it again from the e-mail, or log in and change your e-mail "
                "preferences on your account page."
            )
        ) from None
    topic = payload.get("t") if isinstance(payload, dict) else None
    if topic not in Topic.values:
        raise UnsubscribeInvalid(_("This unsubscribe link names no kind of e-mail we send."))
    if "u" in payload:
        user = User.objects.filter(pk=payload["u"], is_active=True).first()
        if user is None:
            raise NotFound(
                _("The account this link was sent to no longer exists; it gets no e-mail.")
            )
        if topic == Topic.INVITATIONS:
            return Unsubscribe(topic=Topic(topic), user=None, email=user.email.lower())
        return Unsubscribe(topic=Topic(topic), user=user, email="")
    email = str(payload.get("e") or "")
    if topic != Topic.INVITATIONS or "@" not in email:
        raise UnsubscribeInvalid(_("This unsubscribe link names no kind of e-mail we send."))
    return Unsubscribe(topic=Topic(topic), user=None, email=email)


@transaction.atomic
def unsubscribe_apply(*, unsubscribe: Unsubscribe) -> None:
    """Switch the topic off for the account (or refuse invitations to the address)."""
    if unsubscribe.user is not None:
        preferences_update(user=unsubscribe.user, **{unsubscribe.topic.value: False})
    else:
        EmailOptOut.objects.get_or_create(email=unsubscribe.email)


# --- Recipients --------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user: User | None
    email: str
    language: str

    @property
    def key(self) -> str:
        return f"user:{self.user.pk}" if self.user is not None else f"email:{self.email}"


def _accounts_wanting(users: Iterable[User], topic: Topic) -> list[Recipient]:
    """The accounts among `users` with an address that did not switch `topic` off."""
    candidates = {u.pk: u for u in users if u.is_active and u.email}
    switched_off = set(
        NotificationPreference.objects.filter(
            user_id__in=candidates, **{topic.value: False}
        ).values_list("user_id", flat=True)
    )
    wanting = [u for pk, u in sorted(candidates.items()) if pk not in switched_off]
    languages = languages_of(u.pk for u in wanting)
    return [Recipient(user=u, email=u.email, language=languages[u.pk]) for u in wanting]


def _members(community_id: int, roles: list[str] | None = None) -> list[User]:
    memberships = Membership.objects.filter(
        community_id=community_id, status=Membership.Status.ACTIVE
    ).select_related("user")
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return [m.user for m in memberships]


# --- Fan-out -----------------------------------------------------------------


def _fan_out(*, kind: Kind, target: str, occurrence: str, recipients: list[Recipient]) -> list[int]:
    """Rows for the recipients that have none for this occurrence; the ids still to send.

    Idempotent: the unique key leaves existing rows alone, so a beat task or
    a retried fan-out that runs again adds nothing and re-sends nothing
    already sent (rows still pending are returned, so a lost task message is
    made good).
    """
    SentEmail.objects.bulk_create(
        [
            SentEmail(
                kind=kind,
                target=target,
                occurrence=occurrence,
                recipient=r.key,
                user=r.user,
                email=r.email,
                language=r.language,
            )
            for r in recipients
        ],
        ignore_conflicts=True,
    )
    return list(
        SentEmail.objects.filter(
            kind=kind,
            target=target,
            occurrence=occurrence,
            recipient__in=[r.key for r in recipients],
            status=SentEmail.Status.PENDING,
            attempts=0,
        ).values_list("pk", flat=True)
    )


def _enqueue_all(ids: list[int]) -> None:
    from notifications.tasks import deliver_email

    for email_id in ids:
        enqueue(deliver_email, email_id)


def enqueue(task: Any, *args: Any) -> None:
    """Send a task message; a broker that is down leaves the rows for the sweep."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("Could not enqueue %s%r; the sweep will send it", task.name, args)


def notify_space_event(*, space_id: int, kind: Kind, occurrence: str) -> list[int]:
    """Members of the space's community who want space e-mails: one each, then sent."""
    from elicitation.models import Space

    assert TOPIC_OF_KIND[kind] == Topic.SPACES, kind
    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        return []
    recipients = _accounts_wanting(_members(space.community_id), Topic.SPACES)
    ids = _fan_out(
        kind=kind, target=f"space:{space_id}", occurrence=occurrence, recipients=recipients
    )
    _enqueue_all(ids)
    return ids


def notify_profile_published(*, profile_id: int) -> list[int]:
    from aggregation.models import ValueProfile

    profile = ValueProfile.objects.select_related("space").filter(pk=profile_id).first()
    if profile is None or profile.status != ValueProfile.Status.PUBLISHED:
        return []
    recipients = _accounts_wanting(_members(profile.space.community_id), Topic.PROFILES)
    ids = _fan_out(
        kind=Kind.PROFILE_PUBLISHED,
        target=f"profile:{profile_id}",
        occurrence="",
        recipients=recipients,
    )
    _enqueue_all(ids)
    return ids


def invitation_email_check(email: str) -> str:
    """The address, normalised; ValidationError if it refused invitations."""
    address = email.strip().lower()
    if EmailOptOut.objects.filter(email=address).exists():
        raise ValidationError(
            {
                "email": _(
                    "This address asked not to receive invitations from us. "
                    "Share the link with them another way."
                )
            }
        )
    return address


def notify_invitation(*, invitation: Invitation, email: str, language: str) -> list[int]:
    """E-mail the invitation link to `email`, in `language` (the inviter's).

    Call it inside the transaction that created the invitation: the row is
    written with it and the e-mail is sent after the commit. A community
    sends at most INVITATION_EMAILS_PER_DAY (the form must not become a way
    to mail strangers in bulk).
    """
    address = invitation_email_check(email)
    community_invitations = Invitation.objects.filter(
        community_id=invitation.community_id
    ).values_list("pk", flat=True)
    sent_today = SentEmail.objects.filter(
        kind=Kind.INVITATION,
        target__in=[f"invitation:{pk}" for pk in community_invitations],
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    if sent_today >= settings.INVITATION_EMAILS_PER_DAY:
        raise ValidationError(
            {
                "email": _(
                    "This community has sent %(count)s invitation e-mails in the last 24 hours, "
                    "the most it may. Share the link another way, or try again tomorrow."
                )
                % {"count": sent_today}
            }
        )
    # An account at that address that chose a language reads in it; else the inviter's.
    chosen = (
        AccountSettings.objects.filter(user__email__iexact=address, user__is_active=True)
        .exclude(language="")
        .values_list("language", flat=True)
        .first()
    )
    recipient = Recipient(
        user=None,
        email=address,
        language=valid_language(chosen) or valid_language(language) or settings.LANGUAGE_CODE,
    )
    ids = _fan_out(
        kind=Kind.INVITATION,
        target=f"invitation:{invitation.pk}",
        occurrence="",
        recipients=[recipient],
    )
    transaction.on_commit(lambda: _enqueue_all(ids))
    return ids


def pending_moderation(community_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """Per space with something waiting: its counts of pending statements,
    arguments and open flags (three grouped queries)."""
    from elicitation.models import Argument, Flag, ModerationStatus, Space, Statement

    spaces = Space.objects.all()
    if community_ids is not None:
        spaces = spaces.filter(community_id__in=list(community_ids))
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"statements": 0, "arguments": 0, "flags": 0}
    )
    for space_id, n in (
        Statement.objects.filter(space__in=spaces, status=ModerationStatus.PENDING)
        .values_list("space_id")
        .annotate(n=Count("id"))
    ):
        counts[space_id]["statements"] = n
    for space_id, n in (
        Argument.objects.filter(statement__space__in=spaces, status=ModerationStatus.PENDING)
        .values_list("statement__space_id")
        .annotate(n=Count("id"))
    ):
        counts[space_id]["arguments"] = n
    open_flags = Flag.objects.filter(resolved_at__isnull=True)
    for space_id, n in (
        open_flags.filter(statement__space__in=spaces)
        .values_list("statement__space_id")
        .annotate(n=Count("id"))
    ):
        counts[space_id]["flags"] += n
    for space_id, n in (
        open_flags.filter(argument__statement__space__in=spaces)
        .values_list("argument__statement__space_id")
        .annotate(n=Count("id"))
    ):
        counts[space_id]["flags"] += n
    found = Space.objects.filter(pk__in=list(counts)).select_related("community")
    return {s.pk: {"space": s, **counts[s.pk]} for s in found}


def notify_moderation_digests(*, day: date) -> list[int]:
    """One digest per moderator (owners, facilitators) with anything waiting, once a day."""
    waiting = pending_moderation()
    community_ids = {entry["space"].community_id for entry in waiting.values()}
    users = {
        m.user.pk: m.user
        for m in Membership.objects.filter(
            community_id__in=community_ids,
            status=Membership.Status.ACTIVE,
            role__in=MODERATOR_ROLES,
        ).select_related("user")
    }
    recipients = _accounts_wanting(users.values(), Topic.MODERATION)
    ids = _fan_out(
        kind=Kind.MODERATION_DIGEST,
        target="digest",
        occurrence=day.isoformat(),
        recipients=recipients,
    )
    _enqueue_all(ids)
    return ids


# --- Schedules (beat) --------------------------------------------------------


def _open_occurrence(space_id: int) -> str:
    """The occurrence of a space's opening: its latest move to the open phase."""
    from elicitation.models import ModerationAction

    entry = (
        ModerationAction.objects.filter(
            space_id=space_id, action=ModerationAction.Action.PHASE, detail__to="open"
        )
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return f"open:{entry or 0}"


def space_schedules_check(*, now: datetime | None = None) -> dict[str, int]:
    """Open spaces whose schedule opened, is about to close, or closed them.

    Runs every few minutes from beat; every e-mail's key names the
    occurrence (the opening, the scheduled closing time), so running it again
    sends nothing new. Looks back one day at most: a beat that was off longer
    does not announce long-past openings.
    """
    from elicitation.models import Space

    now = now or timezone.now()
    open_spaces = Space.objects.filter(phase=Space.Phase.OPEN)
    counts = {"opened": 0, "closing": 0, "closed": 0}
    for space in open_spaces.filter(
        opens_at__lte=now, opens_at__gt=now - SCHEDULE_LOOKBACK
    ).exclude(closes_at__lte=now):
        counts["opened"] += len(
            notify_space_event(
                space_id=space.pk, kind=Kind.SPACE_OPENED, occurrence=_open_occurrence(space.pk)
            )
        )
    for space in open_spaces.filter(closes_at__gt=now, closes_at__lte=now + CLOSING_NOTICE).filter(
        Q(opens_at__isnull=True) | Q(opens_at__lte=now)
    ):
        assert space.closes_at is not None
        counts["closing"] += len(
            notify_space_event(
                space_id=space.pk,
                kind=Kind.SPACE_CLOSING,
                occurrence=f"closes:{space.closes_at.isoformat()}",
            )
        )
    for space in open_spaces.filter(closes_at__lte=now, closes_at__gt=now - SCHEDULE_LOOKBACK):
        assert space.closes_at is not None
        counts["closed"] += len(
            notify_space_event(
                space_id=space.pk,
                kind=Kind.SPACE_CLOSED,
                occurrence=f"schedule:{space.closes_at.isoformat()}",
            )
        )
    return counts


# --- Sending -----------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    template: str
    context: dict[str, Any]


def _space_message(row: SentEmail) -> Message | None:
    from elicitation.models import Space

    space = Space.objects.select_related("community").filter(pk=row.target.split(":")[1]).first()
    if space is None:
        return None
    names = {"space": space.title, "community": space.community.name}
    subjects = {
        Kind.SPACE_OPENED: _("“%(space)s” is open: %(community)s wants your view"),
        Kind.SPACE_CLOSING: _("“%(space)s” closes in less than 24 hours"),
        Kind.SPACE_CLOSED: _("“%(space)s” has closed"),
    }
    return Message(
        subject=subjects[Kind(row.kind)] % names,
        template=row.kind,
        context={"space": space, "community": space.community, "url": space.get_absolute_url()},
    )


def _profile_message(row: SentEmail) -> Message | None:
    from aggregation.apis import profile_page_url
    from aggregation.models import ValueProfile

    profile = (
        ValueProfile.objects.select_related("space__community")
        .filter(pk=row.target.split(":")[1], status=ValueProfile.Status.PUBLISHED)
        .first()
    )
    if profile is None:
        return None  # retracted before we got to it: say nothing
    space = profile.space
    return Message(
        subject=_("%(community)s published version %(version)s of its value profile")
        % {"community": space.community.name, "version": profile.version},
        template=row.kind,
        context={
            "profile": profile,
            "space": space,
            "community": space.community,
            "url": profile_page_url(profile),
        },
    )


def _invitation_message(row: SentEmail) -> Message | None:
    from communities.services import invitation_problem

    invitation = (
        Invitation.objects.select_related("community", "created_by")
        .filter(pk=row.target.split(":")[1])
        .first()
    )
    if invitation is None or invitation_problem(invitation):
        return None  # revoked, expired or used up before it went out
    community: Community = invitation.community
    return Message(
        subject=_("You are invited to join %(community)s on Polyphony")
        % {"community": community.name},
        template=row.kind,
        context={
            "invitation": invitation,
            "community": community,
            "inviter": invitation.created_by.username if invitation.created_by else "",
            "role": invitation.get_role_display(),
            "url": reverse("communities:invitation", kwargs={"token": invitation.token}),
        },
    )


def _digest_message(row: SentEmail) -> Message | None:
    if row.user is None:
        return None
    community_ids = Membership.objects.filter(
        user=row.user, status=Membership.Status.ACTIVE, role__in=MODERATOR_ROLES
    ).values_list("community_id", flat=True)
    waiting = sorted(
        pending_moderation(community_ids).values(),
        key=lambda e: (e["space"].community.name, e["space"].title),
    )
    if not waiting:
        return None  # cleared since the digest was planned
    for entry in waiting:
        entry["url"] = reverse("elicitation:moderation", kwargs={"space_id": entry["space"].pk})
    total = sum(e["statements"] + e["arguments"] + e["flags"] for e in waiting)
    return Message(
        subject=ngettext(
            "%(count)s item waits for moderation", "%(count)s items wait for moderation", total
        )
        % {"count": total},
        template=row.kind,
        context={"waiting": waiting, "total": total},
    )


BUILDERS = {
    Kind.INVITATION: _invitation_message,
    Kind.SPACE_OPENED: _space_message,
    Kind.SPACE_CLOSING: _space_message,
    Kind.SPACE_CLOSED: _space_message,
    Kind.PROFILE_PUBLISHED: _profile_message,
    Kind.MODERATION_DIGEST: _digest_message,
}


def _still_wanted(row: SentEmail) -> bool:
    """Preferences are read again at send time: an unsubscribe in between wins."""
    topic = TOPIC_OF_KIND[row.kind]
    if topic == Topic.INVITATIONS:
        return not EmailOptOut.objects.filter(email=row.email).exists()
    if row.user is None or not row.user.is_active:
        return False
    return preferences_get(user=row.user).wants(topic)


def email_render(row: SentEmail) -> EmailMultiAlternatives | None:
    """The e-mail for `row` in its recipient's language, or None when it has nothing to say."""
    zone = time_zone_of(row.user)
    with translation.override(row.language), timezone.override(zoneinfo.ZoneInfo(zone)):
        message = BUILDERS[Kind(row.kind)](row)
        if message is None:
            return None
        topic = TOPIC_OF_KIND[row.kind]
        token = unsubscribe_token(topic=topic, user=row.user, email=row.email)
        unsubscribe = absolute_url(reverse("notifications:unsubscribe", kwargs={"token": token}))
        context = {
            **message.context,
            "url": absolute_url(message.context["url"]) if "url" in message.context else "",
            "site_url": settings.SITE_URL.rstrip("/"),
            "preferences_url": absolute_url(reverse("notifications:preferences")),
            "unsubscribe_url": unsubscribe,
            "topic_label": Topic(topic).label,
            "subject": message.subject,
            "language": row.language,
            "time_zone": zone,
            "recipient": row.user,
        }
        for entry in context.get("waiting", []):
            entry["url"] = absolute_url(entry["url"])
        text = render_to_string(f"notifications/email/{message.template}.txt", context)
        html = render_to_string(f"notifications/email/{message.template}.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        to=[row.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients offer their own unsubscribe
            # button, which POSTs to the link (the page's GET only asks).
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": row.language,
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def email_send(*, email_id: int) -> bool:
    """Send one pending e-mail; True when nothing is left to do (sent, skipped, or not ours).

    The row is claimed (pending -> sending) before the mail server hears of
    it: a duplicate task message, or the same task retried after the send,
    finds it claimed and sends nothing. False when the mail server refused
    it; the row is pending again and the task retries.
    """
    now = timezone.now()
    claimed = SentEmail.objects.filter(pk=email_id, status=SentEmail.Status.PENDING).update(
        status=SentEmail.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if claimed != 1:
        return True
    row = SentEmail.objects.select_related("user").get(pk=email_id)
    message = email_render(row) if _still_wanted(row) else None
    if message is None:
        SentEmail.objects.filter(pk=email_id).update(status=SentEmail.Status.SKIPPED)
        return True
    try:
        message.send()
    except Exception as error:  # the mail server's refusal or absence: try again later
        logger.warning("E-mail %s not sent: %s", email_id, error)
        SentEmail.objects.filter(pk=email_id, status=SentEmail.Status.SENDING).update(
            status=SentEmail.Status.PENDING, error=str(error)[:2000]
        )
        return False
    _email_mark_sent(email_id=email_id, subject=str(message.subject))
    return True


def _email_mark_sent(*, email_id: int, subject: str) -> None:
    SentEmail.objects.filter(pk=email_id).update(
        status=SentEmail.Status.SENT, sent_at=timezone.now(), subject=subject[:300], error=""
    )


def email_give_up(*, email_id: int) -> None:
    SentEmail.objects.filter(pk=email_id, status=SentEmail.Status.PENDING).update(
        status=SentEmail.Status.FAILED
    )


def emails_sweep(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Re-send rows whose task message never reached a worker (the broker was down)."""
    ids = list(
        SentEmail.objects.filter(
            status=SentEmail.Status.PENDING,
            attempts=0,
            created_at__lt=timezone.now() - older_than,
        ).values_list("pk", flat=True)[:1000]
    )
    _enqueue_all(ids)
    return ids
