"""Webhook endpoints of a community and the deliveries made to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Event(models.TextChoices):
    PROFILE_PUBLISHED = "profile.published", _("A value profile was published")
    PROFILE_RETRACTED = "profile.retracted", _("A value profile was retracted")
    RUN_FAILED = "run.failed", _("An analysis run failed")


class WebhookEndpoint(models.Model):
    """An HTTPS URL of an API client, told about the community's events.

    The secret signs every delivery (HMAC-SHA256); it is shown to the owner
    when the endpoint is created and can be read back by owners only.
    """

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=list)
    # Deleted endpoints stay (their deliveries are history) with is_active off;
    # a disabled one is still listed to its owners but is sent nothing.
    is_active = models.BooleanField(default=True)
    is_enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("webhook delivery", "Succeeded")
        FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
