from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community, Membership
from communities.roles import Action, Role, role_allows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

STATEMENT_MAX_LENGTH = 280
ARGUMENT_MAX_LENGTH = 1000


def new_link_token() -> str:
    return secrets.token_urlsafe(16)


def _link_token() -> str:  # the name migration 0001 refers to
    return new_link_token()


class SpaceQuerySet(models.QuerySet["Space"]):
    def without_drafts(self) -> SpaceQuerySet:
        """Spaces past their draft phase: drafts are seen only by those who manage spaces."""
        return self.exclude(phase=Space.Phase.DRAFT)

    def visible_to(self, user: User | AnonymousUser) -> SpaceQuerySet:
        """Spaces the user may find in lists: those of communities they may see, without
        drafts except in communities where their role manages spaces.

        A link space of a private community is open to non-members through its
        link (`selectors.space_access`), but never listed for them.
        """
        spaces = self.filter(community__in=Community.objects.visible_to(user))
        if not user.is_authenticated:
            return spaces.without_drafts()
        managers = [role for role in Role if role_allows(role, Action.CREATE_SPACE)]
        managed = Membership.objects.filter(
            user=user, status=Membership.Status.ACTIVE, role__in=managers
        ).values("community_id")
        return spaces.filter(~Q(phase=Space.Phase.DRAFT) | Q(community_id__in=managed))


class Space(models.Model):
    """A deliberation space: one question, a set of activities, a schedule."""

    class Phase(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", pgettext_lazy("space phase", "Open")
        CLOSED = "closed", _("Closed")

    class Moderation(models.TextChoices):
        PRE = "pre", _("Statements wait for approval")
        POST = "post", _("Statements appear at once; moderators can remove them")

    class Participation(models.TextChoices):
        MEMBERS = "members", _("Community members")
        LINK = "link", _("Anyone with the link")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="spaces")
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80)
    question = models.CharField(max_length=300)
    description = models.TextField(blank=True, max_length=6000)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    statements_enabled = models.BooleanField(default=True)
    pairwise_enabled = models.BooleanField(default=True)
    ranking_enabled = models.BooleanField(default=True)
    debate_enabled = models.BooleanField(default=True)
    moderation = models.CharField(max_length=8, choices=Moderation.choices, default=Moderation.POST)
    participation = models.CharField(
        max_length=10, choices=Participation.choices, default=Participation.MEMBERS
    )
    ranking_size = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(2), MaxValueValidator(20)]
    )
    # A statement fewer people voted on (passes count) is listed in the value
    # profile as "too few votes to say", never ranked among the values.
    min_voters = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    link_token = models.CharField(max_length=40, unique=True, default=_link_token)
    # An embedding site's `xid` names one of its users; it is accepted only with
    # the site's HMAC of it (elicitation.identity.xid_signature), unless the
    # facilitators chose to trust unsigned xids (anyone could then act as any xid).
    trust_unsigned_xids = models.BooleanField(default=False)
    # Sites that may frame /s/<id>/embed/ (CSP frame-ancestors): one origin a
    # line, or "*" for any site. Empty: no site may (elicitation.embedding).
    embed_origins = models.TextField(blank=True, default="", max_length=4000)
    # Per-space counters handing out the small integer ids exports show;
    # incremented under select_for_update in the services.
    participant_counter = models.PositiveIntegerField(default=0)
    statement_counter = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SpaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="unique_space_slug"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="space_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("elicitation:space", kwargs={"space_id": self.pk})

    def clean(self) -> None:
        from elicitation.embedding import embed_origins_parse

        embed_origins_parse(self.embed_origins)  # raises ValidationError naming the bad line


class Participant(models.Model):
    """One per (space, person or anonymous session); `number` is the only id exports show."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="participants")
    number = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
    )
    anon_token = models.CharField(max_length=64, blank=True, default="")
    xid = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "number"], name="unique_participant_number"),
            models.UniqueConstraint(
                fields=["space", "user"],
                condition=Q(user__isnull=False),
                name="one_participant_per_user",
            ),
            models.UniqueConstraint(
                fields=["space", "anon_token"],
                condition=~Q(anon_token=""),
                name="one_participant_per_anon_token",
            ),
            models.UniqueConstraint(
                fields=["space", "xid"], condition=~Q(xid=""), name="one_participant_per_xid"
            ),
        ]

    def __str__(self) -> str:
        return f"participant {self.number} in {self.space_id}"


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Statement(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="statements")
    number = models.PositiveIntegerField()  # per-space id; Polis comment id on import
    text = models.CharField(max_length=STATEMENT_MAX_LENGTH * 4)
    # Case- and punctuation-folded text for refusing duplicates.
    normalized_text = models.CharField(max_length=STATEMENT_MAX_LENGTH * 4, db_index=True)
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    is_seed = models.BooleanField(default=False)
    is_meta = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ModerationStatus.choices, default=ModerationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["space", "number"], name="unique_statement_number"),
        ]
        indexes = [models.Index(fields=["space", "status"])]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse(
            "elicitation:statement", kwargs={"space_id": self.space_id, "number": self.number}
        )


class VoteValue(models.IntegerChoices):
    AGREE = 1, pgettext_lazy("vote", "Agree")
    DISAGREE = -1, pgettext_lazy("vote", "Disagree")
    PASS = 0, pgettext_lazy("vote", "Pass / unsure")


class Vote(models.Model):
    """A participant's latest vote on a statement (the one that counts)."""

    # No index of their own: the unique (participant, statement) and the
    # (statement, value) indexes serve lookups by either, and every vote would
    # otherwise update two more indexes.
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="votes", db_index=False
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="votes", db_index=False
    )
    value = models.SmallIntegerField(choices=VoteValue.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "statement"], name="one_latest_vote_per_statement"
            ),
            models.CheckConstraint(condition=Q(value__in=[-1, 0, 1]), name="vote_value_valid"),
        ]
        indexes = [models.Index(fields=["statement", "value"])]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.value:+d} on {self.statement_id}"


class VoteEvent(models.Model):
    """Append-only history of every vote cast, including changes."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="vote_events"
    )
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="vote_events")
    value = models.SmallIntegerField(choices=VoteValue.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value__in=[-1, 0, 1]), name="vote_event_value_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.value:+d} on {self.statement_id} at {self.created_at}"


class Comparison(models.Model):
    class Choice(models.TextChoices):
        A = "a", _("First")
        B = "b", _("Second")
        NEITHER = "neither", _("Can't decide")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="comparisons"
    )
    statement_a = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    statement_b = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(statement_a=F("statement_b")), name="comparison_two_statements"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_a_id} vs {self.statement_b_id}: {self.choice}"


class Ranking(models.Model):
    """A participant's ranked ballot; entries in order, unranked = below all ranked."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="ranking"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ballot of {self.participant_id}"


class RankingEntry(models.Model):
    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="entries")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()  # 1 = first choice

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "position"], name="unique_ranking_position"),
            models.UniqueConstraint(
                fields=["ranking", "statement"], name="statement_once_per_ballot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.statement_id}"


class Argument(models.Model):
    class Stance(models.TextChoices):
        FOR = "for", pgettext_lazy("argument stance", "For")
        AGAINST = "against", pgettext_lazy("argument stance", "Against")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="arguments")
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="arguments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    stance = models.CharField(max_length=8, choices=Stance.choices)
    text = models.CharField(max_length=ARGUMENT_MAX_LENGTH * 4)
    status = models.CharField(
        max_length=10, choices=ModerationStatus.choices, default=ModerationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Flag(models.Model):
    """A participant's report of a statement or argument."""

    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="flags")
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    argument = models.ForeignKey(
        Argument, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(statement__isnull=False, argument__isnull=True)
                | Q(statement__isnull=True, argument__isnull=False),
                name="flag_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"flag by {self.reporter_id}: {self.reason[:40]}"


class ModerationAction(models.Model):
    """The space's public decision log: every moderation, phase and publication decision."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        RESTORE = "restore", _("Restored")
        DISMISS_FLAG = "dismiss_flag", _("Dismissed a flag")
        PHASE = "phase", _("Changed phase")
        SETTINGS = "settings", _("Changed settings")
        PUBLISH_PROFILE = "publish_profile", _("Published a value profile")
        RETRACT_PROFILE = "retract_profile", _("Retracted a value profile")
        EXCLUDE_VALUE = "exclude_value", _("Left a value out of a profile")
        REWORD_PRINCIPLE = "reword_principle", _("Worded a value as a principle")
        IMPORT = "import", _("Imported data")
        MERGE = "merge", _("Merged a duplicate")
        ROTATE_LINK = "rotate_link", _("Replaced the link")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=12, blank=True, default="")
    action = models.CharField(max_length=20, choices=Action.choices)
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    argument = models.ForeignKey(
        Argument, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    profile_version = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=1000, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} in {self.space_id} at {self.created_at}"


class StatementEmbedding(models.Model):
    """A statement's sentence embedding (aggregation.engine.embedding), computed once.

    The vector is 384 float32 values, little-endian, unit length; `model`
    names what made it, so a change of model can recompute the old ones.
    """

    statement = models.OneToOneField(
        Statement, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    model = models.CharField(max_length=60)
    vector = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"embedding of statement {self.statement_id} ({self.model})"


class PolisImport(models.Model):
    """An uploaded Pol.is export that a worker imports (elicitation.polis.jobs).

    The files wait in a private folder (settings.POLIS_UPLOAD_DIR / id), never
    served; the worker parses and imports them and the folder is removed
    once the job is done or failed. A job whose comments are already a space
    of the community waits (DUPLICATE, files kept) for its requester to
    confirm a second copy or to cancel.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        PARSING = "parsing", _("Reading the files")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        DUPLICATE = "duplicate", _("Already imported: confirm a second copy")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.PARSING, Status.IMPORTING)

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="polis_imports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="polis_imports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    title = models.CharField(max_length=160, blank=True, default="")
    second_copy = models.BooleanField(default=False)
    # The uploaded files: form field name -> size in bytes.
    files = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running import per person: a second upload waits its turn
            # (the database settles two requests racing past the view's check).
            models.UniqueConstraint(
                fields=["requested_by"],
                condition=Q(status__in=["queued", "parsing", "importing"]),
                name="one_active_polis_import_per_user",
            )
        ]
        indexes = [models.Index(fields=["requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"Pol.is import {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse(
            "elicitation:polis_import_job", kwargs={"slug": self.community.slug, "job_id": self.pk}
        )

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE
