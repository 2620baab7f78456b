"""Reads of the aggregation app: engine input from the database, and permission-bearing reads."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from aggregation.models import AnalysisRun, ValueProfile
from aggregation.snapshot import Snapshot
from communities.models import Membership, SegmentAnswer
from communities.roles import Action, role_allows
from elicitation.models import (
    Comparison,
    Participant,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from elicitation.selectors import space_access, space_role


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def snapshot_read(*, space_id: int, cutoff: datetime | None = None) -> Snapshot:
    """Everything an analysis of the space reads, as it stood at `cutoff` (default: now).

    The vote history comes from VoteEvent; latest votes without a matching
    event (imported data) are added after the pair's last event so the latest
    vote of every pair equals the Vote table. Rows created after the cutoff are
    left out, so a run reads one consistent moment even while people keep voting.
    """
    cutoff = cutoff or timezone.now()
    statements = list(
        Statement.objects.filter(space_id=space_id, created_at__lte=cutoff)
        .order_by("number")
        .values_list("id", "number", "status", "is_meta")
    )
    s_index = {sid: i for i, (sid, _n, _st, _m) in enumerate(statements)}
    participants = list(
        Participant.objects.filter(space_id=space_id, created_at__lte=cutoff)
        .order_by("number")
        .values_list("id", "number", "user_id")
    )
    p_index = {pid: i for i, (pid, _n, _u) in enumerate(participants)}

    events: list[tuple[int, int, int, int]] = []
    last_of_pair: dict[tuple[int, int], tuple[int, int]] = {}
    for pid, sid, value, created in (
        VoteEvent.objects.filter(participant__space_id=space_id, created_at__lte=cutoff)
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "value", "created_at")
        .iterator(chunk_size=5000)
    ):
        if pid in p_index and sid in s_index:
            key = (p_index[pid], s_index[sid])
            t = _ms(created)
            events.append((key[0], key[1], int(value), t))
            last_of_pair[key] = (int(value), t)
    extra: list[tuple[int, int, int, int]] = []
    for pid, sid, value, updated in (
        Vote.objects.filter(participant__space_id=space_id, updated_at__lte=cutoff)
        .values_list("participant_id", "statement_id", "value", "updated_at")
        .iterator(chunk_size=5000)
    ):
        if pid not in p_index or sid not in s_index:
            continue
        key = (p_index[pid], s_index[sid])
        last = last_of_pair.get(key)
        if last is None or last[0] != value:
            t = max(_ms(updated), last[1] if last else 0)
            extra.append((key[0], key[1], int(value), t))
    if extra:
        # Stable sort: events keep their order, additions land after equal times.
        events = sorted(events + extra, key=lambda e: e[3])

    comparisons = tuple(
        (p_index[pid], s_index[a], s_index[b], choice)
        for pid, a, b, choice in Comparison.objects.filter(
            participant__space_id=space_id, created_at__lte=cutoff
        )
        .order_by("id")
        .values_list("participant_id", "statement_a_id", "statement_b_id", "choice")
        if pid in p_index and a in s_index and b in s_index
    )

    ballots: dict[int, list[int]] = {}
    for pid, sid in (
        RankingEntry.objects.filter(
            ranking__participant__space_id=space_id, ranking__updated_at__lte=cutoff
        )
        .order_by("ranking__participant_id", "position")
        .values_list("ranking__participant_id", "statement_id")
    ):
        if pid in p_index and sid in s_index:
            ballots.setdefault(p_index[pid], []).append(s_index[sid])
    rankings = tuple(sorted((p, tuple(b)) for p, b in ballots.items()))

    segments: dict[str, dict[str, list[int]]] = {}
    user_to_participant = {u: p_index[pid] for pid, _n, u in participants if u is not None}
    if user_to_participant:
        space = Space.objects.only("community_id").get(pk=space_id)
        for user_id, label, choice in SegmentAnswer.objects.filter(
            membership__community_id=space.community_id,
            membership__status=Membership.Status.ACTIVE,
            membership__user_id__in=list(user_to_participant),
        ).values_list("membership__user_id", "question__label", "choice"):
            segments.setdefault(label, {}).setdefault(choice, []).append(
                user_to_participant[user_id]
            )

    return Snapshot(
        participant_numbers=tuple(n for _i, n, _u in participants),
        statement_numbers=tuple(n for _i, n, _s, _m in statements),
        statement_status=tuple(st for _i, _n, st, _m in statements),
        statement_meta=tuple(bool(m) for _i, _n, _s, m in statements),
        vote_events=tuple(events),
        comparisons=comparisons,
        rankings=rankings,
        segments={
            q: {c: tuple(sorted(m)) for c, m in choices.items()} for q, choices in segments.items()
        },
    )


def statement_texts(*, space_id: int) -> dict[int, str]:
    """Statement number -> text, for the profile built from a run."""
    return dict(
        Statement.objects.filter(space_id=space_id).values_list("number", "text").order_by("number")
    )


# --- Permission-bearing reads ------------------------------------------------


def space_for_analysis(*, user: User | AnonymousUser, space_id: int) -> Space:
    """The space if the user may run and watch its analysis (facilitators); 404/403 otherwise."""
    return space_access(user=user, space_id=space_id, action=Action.RUN_ANALYSIS).space


def run_get_for_user(*, user: User | AnonymousUser, run_id: int) -> AnalysisRun:
    """A run, if the user may run analyses in its space."""
    run = AnalysisRun.objects.select_related("space__community").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such analysis run.")
    space_access(user=user, space_id=run.space_id, action=Action.RUN_ANALYSIS)
    return run


def runs_of_space(*, space: Space) -> QuerySet[AnalysisRun]:
    return AnalysisRun.objects.filter(space=space).order_by("-created_at", "-id")


def may_manage_profiles(*, user: User | AnonymousUser, space: Space) -> bool:
    return role_allows(space_role(user=user, space=space), Action.PUBLISH_PROFILE)


def space_get_for_publishing(*, user: User | AnonymousUser, space_id: int) -> Space:
    """The space if the user may review, publish and retract its profiles."""
    return space_access(user=user, space_id=space_id, action=Action.PUBLISH_PROFILE).space


def space_for_results(*, user: User | AnonymousUser, space_id: int) -> Space:
    """The space if the user may read its published profiles (anyone for public communities)."""
    return space_access(user=user, space_id=space_id, action=Action.VIEW_RESULTS).space


def profiles_visible(*, user: User | AnonymousUser, space: Space) -> QuerySet[ValueProfile]:
    """Published and retracted versions; drafts too for those who may publish."""
    profiles = ValueProfile.objects.filter(space=space).select_related("run")
    if not may_manage_profiles(user=user, space=space):
        profiles = profiles.exclude(status=ValueProfile.Status.DRAFT)
    return profiles


def profile_latest_published(*, space: Space) -> ValueProfile | None:
    return (
        ValueProfile.objects.filter(space=space, status=ValueProfile.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def profile_get_version(*, space: Space, version: int) -> ValueProfile:
    profile = (
        ValueProfile.objects.filter(space=space, version=version)
        .exclude(status=ValueProfile.Status.DRAFT)
        .first()
    )
    if profile is None:
        raise Http404(f"Space {space.pk} has no published version {version}.")
    return profile


def profile_get_for_publisher(*, user: User | AnonymousUser, profile_id: int) -> ValueProfile:
    """A profile (draft or not) for review by someone who may publish in its space."""
    profile = ValueProfile.objects.select_related("space__community", "run").filter(pk=profile_id)
    found = profile.first()
    if found is None:
        raise Http404("No such profile.")
    space_access(user=user, space_id=found.space_id, action=Action.PUBLISH_PROFILE)
    return found
