from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class CommunityQuerySet(models.QuerySet["Community"]):
    def visible_to(self, user: User | AnonymousUser) -> CommunityQuerySet:
        """Public communities, plus private ones where the user is an active member."""
        public = Q(visibility=Community.Visibility.PUBLIC)
        if not user.is_authenticated:
            return self.filter(public)
        member = Q(
            memberships__user=user,
            memberships__status=Membership.Status.ACTIVE,
        )
        banned_ids = Membership.objects.filter(user=user, status=Membership.Status.BANNED).values(
            "community_id"
        )
        return self.filter(public | member).exclude(id__in=banned_ids).distinct()


class Community(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", pgettext_lazy("community visibility", "Public")
        PRIVATE = "private", pgettext_lazy("community visibility", "Private")

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, max_length=4000)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("membership status", "Active")
        BANNED = "banned", pgettext_lazy("membership status", "Banned")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="one_membership_per_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]
        indexes = [models.Index(fields=["community", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.community} as {self.role}"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation to {self.community} as {self.role}"


class SegmentQuestion(models.Model):
    """A community-defined, optional question members answer about themselves."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="segment_questions"
    )
    label = models.CharField(max_length=120)
    choices = models.JSONField(default=list)  # list[str], fixed answers
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "label"], name="unique_segment_label")
        ]

    def __str__(self) -> str:
        return self.label


class SegmentAnswer(models.Model):
    """A member's own answer; private, used only in aggregate (cells of 5 or more)."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="segment_answers"
    )
    question = models.ForeignKey(SegmentQuestion, on_delete=models.CASCADE, related_name="answers")
    choice = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.choice}"


class ApiToken(models.Model):
    """A named, revocable API key of one user.

    Only a SHA-256 hash of the key is stored: the key is shown once, when it
    is created. The key carries 240 random bits, so a plain hash (no salt, no
    slow KDF) is enough: nobody can brute-force it, and the hash doubles as the
    unique lookup index. `prefix` is the key's public beginning, shown in lists
    so people can tell their tokens apart.
    """

    class Scope(models.TextChoices):
        READ_WRITE = "read_write", _("Read and write")
        READ = "read", _("Read only")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    # A read-only token is refused every unsafe method (403 naming the scope).
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ_WRITE)
    # After this moment the token authenticates nobody (401 saying it expired).
    expires_at = models.DateTimeField(null=True, blank=True)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="unique_active_token_name",
                violation_error_message=_("You already have an active token with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


def _validate_time_zone(value: str) -> None:
    from config.locale import valid_time_zone

    if value and valid_time_zone(value) is None:
        raise ValidationError(
            _("“%(value)s” is not a time zone name such as Europe/Berlin."),
            code="invalid_time_zone",
            params={"value": value},
        )


def _validate_language(value: str) -> None:
    from config.locale import valid_language

    if value and valid_language(value) is None:
        raise ValidationError(
            _("“%(value)s” is not one of the site's languages."),
            code="invalid_language",
            params={"value": value},
        )


class AccountSettings(models.Model):
    """A person's own preferences: language and time zone ("" = decided by the browser)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_settings"
    )
    # Validated against settings.LANGUAGES rather than given as choices, so that
    # adding a language needs no migration.
    language = models.CharField(
        _("language"), max_length=8, blank=True, validators=[_validate_language]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[_validate_time_zone]
    )

    class Meta:
        verbose_name = _("account settings")
        verbose_name_plural = _("account settings")

    def __str__(self) -> str:
        return f"Settings of {self.user}"
