"""Reads of the aggregation app: engine input from the database, and permission-bearing reads."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from aggregation import compare, profiles
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.snapshot import Snapshot
from communities.models import Community, Membership, SegmentAnswer, SegmentQuestion
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


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def space_profile_basis(*, space_id: int) -> dict[str, Any]:
    """What a draft profile depends on besides the votes: moderation, texts, segments, minimum.

    A run records this before it reads its snapshot; publishing compares it
    with the space as it is then (aggregation.profiles.basis_changes). Read
    first, so a change racing the snapshot shows up as a change, never the
    other way round.
    """
    space = Space.objects.only("community_id", "min_voters").get(pk=space_id)
    statements = {
        str(number): [status, bool(is_meta), _text_digest(text)]
        for number, status, is_meta, text in Statement.objects.filter(space_id=space_id)
        .order_by("number")
        .values_list("number", "status", "is_meta", "text")
    }
    questions = list(
        SegmentQuestion.objects.filter(community_id=space.community_id)
        .order_by("id")
        .values_list("id", "label", "choices")
    )
    segments = hashlib.sha256(repr(questions).encode()).hexdigest()[:16]
    return {"statements": statements, "segments": segments, "min_voters": space.min_voters}


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


def profile_stale_changes(*, profile: ValueProfile) -> list[dict[str, Any]]:
    """Why publishing this draft now would be wrong: the space changed since its run read it.

    Empty when the draft still says what a new run would on its statements.
    Besides comparing the run's recorded basis, every statement the draft
    names must still be accepted and not meta (this also guards drafts of
    runs made before the basis was recorded).
    """
    current = space_profile_basis(space_id=profile.space_id)
    changes = profiles.basis_changes(profile.run.basis, current)
    flagged = {c["statement"] for c in changes}
    content = profile.content
    named = [v["statement"] for v in content.get("values", [])]
    named += [v["statement"] for v in content.get("too_few_votes", [])]
    named += [
        r["statement"] for g in content.get("opinion_groups", []) for r in g["representative"]
    ]
    statements = current["statements"]
    for number in sorted(set(named) - flagged):
        state = statements.get(str(number))
        if state is None or state[0] != "accepted" or state[1]:
            changes.append(
                {
                    "statement": number,
                    "change": "removed",
                    "message": f"#{number} was removed or marked meta.",
                }
            )
    return changes


def profile_content(*, profile: ValueProfile) -> dict[str, Any]:
    """What a profile says: a draft with its facilitators' edits applied, else as stored."""
    if profile.status != ValueProfile.Status.DRAFT:
        return profile.content
    return profiles.apply_editorial(
        profile.content,
        summary=profile.summary,
        notes=profile.value_notes,
        exclusions=profile.exclusions,
    )


def profile_for_reader(
    *, user: User | AnonymousUser, space_id: int, version: int | None
) -> ValueProfile:
    """A published (or retracted) version the user may read; the latest published without one."""
    space = space_for_results(user=user, space_id=space_id)
    if version is not None:
        return profile_get_version(space=space, version=version)
    profile = profile_latest_published(space=space)
    if profile is None:
        raise Http404(f"Space {space_id} has no published value profile yet.")
    return profile


def published_profiles_readable(
    *, user: User | AnonymousUser, limit: int = 200
) -> list[ValueProfile]:
    """Published and retracted versions the user may read, newest first (at most `limit`).

    The choices of the comparison page, in one query: the same rule as
    `space_for_results` (communities visible to the user, banned members
    excluded there; every role may see results; drafts of spaces hidden).
    """
    return list(
        ValueProfile.objects.exclude(status=ValueProfile.Status.DRAFT)
        .filter(space__community__in=Community.objects.visible_to(user))
        .exclude(space__phase=Space.Phase.DRAFT)
        .select_related("space", "space__community")
        .order_by("-published_at", "-id")[:limit]
    )


def profile_ref_parse(text: str, *, field: str) -> tuple[int, int | None]:
    """ "12" (the latest published version of space 12) or "12:3" (its version 3).

    Raises ValueError with a message naming `field` for anything else.
    """
    space, _, version = text.strip().partition(":")
    if not space.isdigit() or (version and not version.isdigit()) or len(text) > 40:
        raise ValueError(
            f"{field}: expected a space id, or a space id and a version as 12:3; got {text!r}."
        )
    return int(space), (int(version) if version else None)


def profile_comparison(
    *, user: User | AnonymousUser, a: tuple[int, int | None], b: tuple[int, int | None]
) -> dict[str, Any]:
    """Two profiles the user may read, compared (aggregation.compare); 404 for either unreadable."""
    first = profile_for_reader(user=user, space_id=a[0], version=a[1])
    second = profile_for_reader(user=user, space_id=b[0], version=b[1])
    return compare.compare(
        first.content, second.content, same_space=first.space_id == second.space_id
    )
