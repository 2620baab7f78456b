from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elicitation.models import Space

SUMMARY_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 500


class AnalysisRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READING = "reading", _("Reading votes")
        GROUPS = "groups", _("Finding opinion groups")
        BRIDGING = "bridging", _("Bridging")
        PAIRWISE = "pairwise", _("Pairwise comparisons")
        RANKINGS = "rankings", _("Ranked ballots")
        BOOTSTRAP = "bootstrap", _("Uncertainty")
        SAVING = "saving", _("Saving")
        DONE = "done", _("Done")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Facilitator")
        API = "api", _("API")
        AUTO = "auto", _("Automatic")
        CLOSE = "close", _("Space closed")
        COMMAND = "command", _("Command line")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="analysis_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.QUEUED)
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    input_fingerprint = models.CharField(max_length=64, blank=True, default="")
    engine_version = models.CharField(max_length=20, blank=True, default="")
    parameters = models.JSONField(default=dict, blank=True)
    # What the profile depends on besides the snapshot (moderation state,
    # statement texts, segment questions, the minimum of voters), as the run
    # found it before reading: selectors.space_profile_basis. Empty for runs
    # made before it was recorded.
    basis = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    # Statement numbers by routing priority, highest first (ties: lower number):
    # all the vote card needs from a run, so it never loads `result`.
    routing = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the task was last handed to the broker; null while it never got
    # there (broker down), which is what the beat task re-sends first.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never two runs of one space at once: at most one queued or running.
            models.UniqueConstraint(
                fields=["space"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_space",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of space {self.space_id}: {self.status}"


class ValueProfile(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETRACTED = "retracted", _("Retracted")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="profiles")
    # Assigned on publication: published versions are numbered 1, 2, 3 ... per space.
    version = models.PositiveIntegerField(null=True, blank=True)
    run = models.ForeignKey(AnalysisRun, on_delete=models.PROTECT, related_name="profiles")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    content = models.JSONField(default=dict)
    diff = models.JSONField(null=True, blank=True)
    # Facilitators' words, edited on the draft and frozen into `content` at
    # publication: a summary, a note per value and values left out with a
    # public reason (statement number as a string -> text).
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH, blank=True, default="")
    value_notes = models.JSONField(default=dict, blank=True)
    exclusions = models.JSONField(default=dict, blank=True)
    # Statement number -> the wording a facilitator gave the value as a principle
    # (the constitution export); the decision log records it at publication.
    principle_wordings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_role = models.CharField(max_length=12, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retraction_reason = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "version"],
                condition=Q(version__isnull=False),
                name="unique_profile_version",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(version__isnull=False),
                name="published_profile_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"profile v{self.version or '-'} of space {self.space_id} ({self.status})"
