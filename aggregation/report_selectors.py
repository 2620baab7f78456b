"""Reads behind the report, the facilitator dashboard and the map API.

Each function costs a fixed number of queries whatever the size of the
space (the dashboard test counts them).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate, TruncHour
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation import pictures, profiles, report
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.report import StandingPicture
from aggregation.results import StoredResult
from communities.roles import Action
from elicitation.models import (
    Argument,
    Comparison,
    Flag,
    ModerationStatus,
    Participant,
    Ranking,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from elicitation.selectors import SpaceAccess, space_access


def space_for_dashboard(*, user: User | AnonymousUser, space_id: int) -> SpaceAccess:
    """The space as the user may use it, if they facilitate it; 404 for everyone else (the
    page is not advertised)."""
    try:
        return space_access(user=user, space_id=space_id, action=Action.RUN_ANALYSIS)
    except PermissionDenied as exc:
        raise Http404(_("No such dashboard.")) from exc


def latest_succeeded_run(*, space: Space) -> AnalysisRun | None:
    """The run whose result the report, the map and "where you stand" show."""
    return (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .exclude(result__isnull=True)
        .order_by("-finished_at", "-created_at", "-id")
        .first()
    )


def accepted_texts(*, space: Space) -> dict[int, str]:
    """Texts of the statements shown in results (accepted), by number."""
    return dict(
        Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).values_list(
            "number", "text"
        )
    )


# --- Activity over time --------------------------------------------------------------


def _floor(moment: datetime, bucket: str) -> datetime:
    moment = timezone.localtime(moment)
    if bucket == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next(moment: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        return moment + timedelta(hours=1)
    if bucket == "day":
        return moment + timedelta(days=1)
    if bucket == "week":
        return moment + timedelta(days=7)
    if bucket == "month":
        days = calendar.monthrange(moment.year, moment.month)[1]
        return (moment + timedelta(days=days)).replace(day=1)
    return moment.replace(year=moment.year + 1)


def _label(moment: datetime, bucket: str) -> str:
    if bucket == "hour":
        return moment.strftime("%-d %b %H:00")
    if bucket == "day":
        return moment.strftime("%-d %b %Y")
    if bucket == "week":
        return "week of " + moment.strftime("%-d %b %Y")
    if bucket == "month":
        return moment.strftime("%b %Y")
    return moment.strftime("%Y")


def vote_activity(*, space: Space) -> pictures.ActivityChart | None:
    """Votes cast (the vote history, changes included) per hour, day, week, month or year.

    One query counts the events per day; weeks, months and years are summed
    from those days here. Only a history shorter than three days is counted
    again per hour. (Measured on 200,000 events: the per-day count is the
    dashboard's costliest query; a MIN/MAX query for the span before it
    cost another third, hence the span is read off the days.)
    """
    events = VoteEvent.objects.filter(statement__space=space)
    per_day = events.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("id"))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # PostgreSQL guesses one group per distinct timestamp (200,000 for
            # 200,000 events), so with the default 4 MB it sorts them on disk
            # instead of hashing a few hundred days: 340 ms against 240 ms
            # measured on the benchmark's space (machine under load).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '32MB'")
        days = sorted((row["day"], row["n"]) for row in per_day)
    if not days:
        return None
    tz = timezone.get_current_timezone()
    first = datetime.combine(days[0][0], time.min, tzinfo=tz)
    last = datetime.combine(days[-1][0], time.min, tzinfo=tz)
    if last - first < timedelta(days=3):
        bucket = "hour"
        counts = {
            _floor(row["at"], bucket): row["n"]
            for row in events.annotate(at=TruncHour("created_at"))
            .values("at")
            .annotate(n=Count("id"))
        }
        first, last = min(counts), max(counts)
    else:
        bucket = pictures.bucket_for_span(first, last + timedelta(days=1))
        counts = {}
        for day, n in days:
            key = _floor(datetime.combine(day, time.min, tzinfo=tz), bucket)
            counts[key] = counts.get(key, 0) + n
        first, last = _floor(first, bucket), _floor(last, bucket)
    series = []
    moment = first
    while moment <= last:
        series.append((_label(moment, bucket), counts.get(moment, 0)))
        moment = _next(moment, bucket)
    return pictures.activity_chart(series, bucket=bucket)


# --- The dashboard ---------------------------------------------------------------------


@dataclass
class DashboardCounts:
    participants: int
    voters: int
    votes: int
    statements: int  # accepted
    statements_pending: int
    arguments_pending: int
    flags_open: int
    comparisons: int
    ballots: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def dashboard_counts(*, space: Space) -> DashboardCounts:
    """Participation at a glance: eight count queries, whatever the space's size."""
    votes = Vote.objects.filter(statement__space=space).count()
    # People with at least one vote: one index probe per participant, where a
    # COUNT(DISTINCT) over the votes sorted all of them (measured: 120 ms of
    # the dashboard on 200,000 votes under load).
    voters = (
        Participant.objects.filter(space=space)
        .filter(Exists(Vote.objects.filter(participant=OuterRef("pk"))))
        .count()
    )
    statements = Statement.objects.filter(space=space).aggregate(
        accepted=Count("id", filter=Q(status=ModerationStatus.ACCEPTED)),
        pending=Count("id", filter=Q(status=ModerationStatus.PENDING)),
    )
    return DashboardCounts(
        participants=Participant.objects.filter(space=space).count(),
        voters=voters,
        votes=votes,
        statements=statements["accepted"],
        statements_pending=statements["pending"],
        arguments_pending=Argument.objects.filter(
            statement__space=space, status=ModerationStatus.PENDING
        ).count(),
        flags_open=Flag.objects.filter(
            Q(statement__space=space) | Q(argument__statement__space=space),
            resolved_at__isnull=True,
        ).count(),
        comparisons=Comparison.objects.filter(participant__space=space).count(),
        ballots=Ranking.objects.filter(participant__space=space).count(),
    )


PENDING_SHOWN = 50


@dataclass
class Dashboard:
    space: Space
    counts: DashboardCounts
    activity: pictures.ActivityChart | None
    pending: list[Statement]
    latest_run: AnalysisRun | None
    draft: ValueProfile | None
    published: ValueProfile | None
    diff: dict[str, Any] | None = None
    diff_counts: dict[str, int] = field(default_factory=dict)

    @property
    def run_active(self) -> bool:
        return self.latest_run is not None and self.latest_run.status in (
            AnalysisRun.Status.QUEUED,
            AnalysisRun.Status.RUNNING,
        )

    @property
    def run_seconds(self) -> float | None:
        run = self.latest_run
        if run is None or run.started_at is None:
            return None
        end = run.finished_at or timezone.now()
        return round((end - run.started_at).total_seconds(), 1)


def dashboard_glance(*, space: Space) -> Dashboard:
    """Only what the self-refreshing "at a glance" panel shows: the counts and the chart."""
    return Dashboard(
        space=space,
        counts=dashboard_counts(space=space),
        activity=vote_activity(space=space),
        pending=[],
        latest_run=None,
        draft=None,
        published=None,
    )


def dashboard(*, space: Space) -> Dashboard:
    """Everything the facilitator dashboard shows, in a constant number of queries."""
    latest_run = (
        AnalysisRun.objects.filter(space=space)
        .defer("result", "parameters")
        .order_by("-created_at", "-id")
        .first()
    )
    draft = (
        ValueProfile.objects.filter(space=space, status=ValueProfile.Status.DRAFT)
        .order_by("-created_at", "-id")
        .first()
    )
    published = (
        ValueProfile.objects.filter(space=space, status=ValueProfile.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    board = Dashboard(
        space=space,
        counts=dashboard_counts(space=space),
        activity=vote_activity(space=space),
        pending=list(
            Statement.objects.filter(space=space, status=ModerationStatus.PENDING)
            .select_related("author")
            .order_by("created_at", "number")[:PENDING_SHOWN]
        ),
        latest_run=latest_run,
        draft=draft,
        published=published,
    )
    if draft is not None:
        board.diff = profiles.diff(published.content if published else None, draft.content)
        board.diff_counts = profiles.diff_summary(board.diff)
    return board


def standing_picture(*, space: Space, participant: Participant | None) -> StandingPicture | None:
    """ "Where you stand" on the latest analysis's map; None before any analysis or vote."""
    if participant is None:
        return None
    run = latest_succeeded_run(space=space)
    if run is None or not isinstance(run.result, dict):
        return None
    my_votes = dict(
        Vote.objects.filter(participant=participant).values_list("statement__number", "value")
    )
    return report.standing_picture(
        StoredResult.from_json(run.result),
        participant_number=participant.number,
        my_votes=my_votes,
        texts=accepted_texts(space=space),
    )
