"""What people want to be e-mailed about, and every e-mail sent (or about to be)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """What a person can switch on or off (an unsubscribe link names one)."""

    SPACES = "spaces", _("A space of my communities opens, is about to close, or has closed")
    PROFILES = "profiles", _("A community of mine publishes a new value profile")
    MODERATION = "moderation", _("A daily digest of what waits for moderation (facilitators)")
    # Invitations are addressed to one person by someone who chose to; they
    # are not a preference of an account, but an address can refuse them.
    INVITATIONS = "invitations", _("Invitations to join a community")


class Kind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    SPACE_OPENED = "space_opened", _("A space opened")
    SPACE_CLOSING = "space_closing", _("A space closes in 24 hours")
    SPACE_CLOSED = "space_closed", _("A space closed")
    PROFILE_PUBLISHED = "profile_published", _("A value profile was published")
    MODERATION_DIGEST = "moderation_digest", _("Moderation digest")


TOPIC_OF_KIND: dict[str, Topic] = {
    Kind.INVITATION: Topic.INVITATIONS,
    Kind.SPACE_OPENED: Topic.SPACES,
    Kind.SPACE_CLOSING: Topic.SPACES,
    Kind.SPACE_CLOSED: Topic.SPACES,
    Kind.PROFILE_PUBLISHED: Topic.PROFILES,
    Kind.MODERATION_DIGEST: Topic.MODERATION,
}


class NotificationPreference(models.Model):
    """One account's choices; an account without a row has the defaults (all on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    spaces = models.BooleanField(default=True)
    profiles = models.BooleanField(default=True)
    moderation = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"e-mail preferences of {self.user_id}"

    def wants(self, topic: str) -> bool:
        return bool(getattr(self, topic, True))


class EmailOptOut(models.Model):
    """An address that asked for no more invitations (it may have no account)."""

    email = models.EmailField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email


class SentEmail(models.Model):
    """One e-mail to one recipient about one occurrence of one event.

    The row is created before anything is sent, and its unique key (kind,
    target, occurrence, recipient) makes every trigger idempotent: a beat
    task that runs twice, or a fan-out that is retried, finds the row and
    adds nothing. Sending claims the row (pending -> sending) with a
    conditional UPDATE, so a duplicate or retried task message never sends
    it twice; a worker that dies between handing the message to the mail
    server and marking it sent leaves it "sending", and it is not sent again
    (at most once: a missed reminder is better than a repeated one).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What it is about: "space:12", "profile:7", "invitation:3", "digest".
    target = models.CharField(max_length=40)
    # Which occurrence: a decision-log entry, a scheduled time, a day; "" if once.
    occurrence = models.CharField(max_length=64, blank=True, default="")
    # "user:<id>" for an account, "email:<address>" for an invitation.
    recipient = models.CharField(max_length=280)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sent_emails",
    )
    email = models.EmailField()
    language = models.CharField(max_length=12)
    subject = models.CharField(max_length=300, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target", "occurrence", "recipient"],
                name="one_email_per_occurrence",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="sent_email_has_sent_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} {self.occurrence} → {self.recipient} ({self.status})"
