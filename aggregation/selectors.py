"""Reads of the aggregation app: engine input from the database, and permission-bearing reads."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import numpy as np
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from aggregation import compare, profiles
from aggregation.columns import epoch_us, epoch_us_sql, int_columns
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.snapshot import Snapshot
from communities.models import Community, Membership, SegmentAnswer, SegmentQuestion
from communities.roles import Action, role_allows
from elicitation.models import (
    Comparison,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    Statement,
    StatementEmbedding,
    Vote,
    VoteEvent,
)
from elicitation.selectors import space_access, space_role


def _ms(us: NDArray[np.int64]) -> NDArray[np.int64]:
    """Epoch milliseconds as the analysis has always read them.

    `int(datetime.timestamp() * 1000)`, vectorised: microseconds divided to
    float seconds, times 1000, truncated. Float rounding puts a few
    timestamps one millisecond below the exact floor(us / 1000); this keeps
    that, so results stay identical to the per-row reader this replaced.
    """
    return ((us.astype(np.float64) / 1e6) * 1000.0).astype(np.int64)


class _Index:
    """Database id -> dense index (-1 when the id is not in the snapshot)."""

    def __init__(self, ids: NDArray[np.int64]) -> None:
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def __call__(self, wanted: NDArray[np.int64]) -> NDArray[np.int64]:
        if not self._sorted.size:
            return np.full(wanted.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), self._sorted.size - 1)
        return np.where(self._sorted[at] == wanted, self._order[at], -1)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _cutoff_param(cutoff: datetime) -> Any:
    # A plain cursor does not adapt values the way the ORM does (SQLite keeps text).
    return connection.ops.adapt_datetimefield_value(cutoff)


def _vote_rows(
    model: type[VoteEvent] | type[Vote], space_id: int, cutoff: datetime
) -> list[NDArray[np.int64]]:
    """(id, participant id, statement id, value, epoch µs) of a space's vote rows up to cutoff."""
    time = "created_at" if model is VoteEvent else "updated_at"
    sql = (
        f"SELECT v.id, v.participant_id, v.statement_id, {_bigint('v.value')}, "
        f"{epoch_us_sql('v.' + time)} "
        f"FROM {_table(model)} v JOIN {_table(Participant)} p ON p.id = v.participant_id "
        f"WHERE p.space_id = %s AND v.{time} <= %s"
    )
    ids, participants, statements, values, times = int_columns(
        sql, [space_id, _cutoff_param(cutoff)], 5
    )
    return [ids, participants, statements, values, epoch_us(times)]


def _bigint(expression: str) -> str:
    return f"CAST({expression} AS BIGINT)"


def _votes(
    space_id: int, cutoff: datetime, p_index: _Index, s_index: _Index, n_statements: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The vote history in time order: (participant, statement, value, epoch ms) columns.

    VoteEvent rows ordered by (time, id); then the latest votes (Vote) that
    no event explains, e.g. imported without history: each goes after its
    pair's last event, at max(its own time, that event's time), in id order.
    """
    ids, pids, sids, values, us = _vote_rows(VoteEvent, space_id, cutoff)
    order = np.lexsort((ids, us))
    p, s = p_index(pids[order]), s_index(sids[order])
    known = (p >= 0) & (s >= 0)
    p, s, v, t = p[known], s[known], values[order][known], _ms(us[order][known])

    v_ids, v_pids, v_sids, v_values, v_us = _vote_rows(Vote, space_id, cutoff)
    by_id = np.argsort(v_ids, kind="stable")
    vp, vs = p_index(v_pids[by_id]), s_index(v_sids[by_id])
    v_known = (vp >= 0) & (vs >= 0)
    vp, vs = vp[v_known], vs[v_known]
    vv, vt = v_values[by_id][v_known], _ms(v_us[by_id][v_known])

    # The last event of each (participant, statement) pair, if any.
    key = p * n_statements + s
    last_key, last_at = np.unique(key[::-1], return_index=True)
    last_at = key.size - 1 - last_at
    vote_key = vp * n_statements + vs
    matched = np.zeros(vote_key.size, dtype=bool)
    last_value = np.zeros(vote_key.size, dtype=np.int64)
    last_time = np.zeros(vote_key.size, dtype=np.int64)
    if last_key.size:
        where = np.minimum(np.searchsorted(last_key, vote_key), last_key.size - 1)
        matched = last_key[where] == vote_key
        last_value = np.where(matched, v[last_at[where]], 0)
        last_time = np.where(matched, t[last_at[where]], 0)
    extra = ~matched | (last_value != vv)
    if extra.any():
        p = np.concatenate([p, vp[extra]])
        s = np.concatenate([s, vs[extra]])
        v = np.concatenate([v, vv[extra]])
        t = np.concatenate([t, np.maximum(vt[extra], last_time[extra])])
        # Stable: events keep their order, additions land after equal times.
        order = np.argsort(t, kind="stable")
        p, s, v, t = p[order], s[order], v[order], t[order]
    return p, s, v, t


def snapshot_read(*, space_id: int, cutoff: datetime | None = None) -> Snapshot:
    """Everything an analysis of the space reads, as it stood at `cutoff` (default: now).

    The vote history comes from VoteEvent; latest votes without a matching
    event (imported data) are added after the pair's last event so the latest
    vote of every pair equals the Vote table. Rows created after the cutoff are
    left out, so a run reads one consistent moment even while people keep voting.

    Votes are read column-wise (aggregation.columns: binary COPY on
    PostgreSQL), in a constant number of queries whatever the size of the space.
    """
    cutoff = cutoff or timezone.now()
    statements = list(
        Statement.objects.filter(space_id=space_id, created_at__lte=cutoff)
        .order_by("number")
        .values_list("id", "number", "status", "is_meta")
    )
    participants = list(
        Participant.objects.filter(space_id=space_id, created_at__lte=cutoff)
        .order_by("number")
        .values_list("id", "number", "user_id")
    )
    s_ids = np.array([row[0] for row in statements], dtype=np.int64)
    p_ids = np.array([row[0] for row in participants], dtype=np.int64)
    s_index, p_index = _Index(s_ids), _Index(p_ids)
    n_s = len(statements)
    vote_p, vote_s, vote_v, vote_t = _votes(space_id, cutoff, p_index, s_index, n_s)

    space_of = f"participant_id IN (SELECT id FROM {_table(Participant)} WHERE space_id = %s)"
    c_ids, c_p, c_a, c_b, c_choice = int_columns(
        f"SELECT id, participant_id, statement_a_id, statement_b_id, "
        f"CASE choice WHEN 'a' THEN {_bigint('0')} WHEN 'b' THEN {_bigint('1')} "
        f"ELSE {_bigint('2')} END "
        f"FROM {_table(Comparison)} WHERE {space_of} AND created_at <= %s",
        [space_id, _cutoff_param(cutoff)],
        5,
    )
    order = np.argsort(c_ids, kind="stable")
    c_p, c_a, c_b = p_index(c_p[order]), s_index(c_a[order]), s_index(c_b[order])
    c_known = (c_p >= 0) & (c_a >= 0) & (c_b >= 0)

    r_p, r_s, r_position = int_columns(
        f"SELECT r.participant_id, e.statement_id, {_bigint('e.position')} "
        f"FROM {_table(RankingEntry)} e JOIN {_table(Ranking)} r ON r.id = e.ranking_id "
        f"WHERE r.{space_of} AND r.updated_at <= %s",
        [space_id, _cutoff_param(cutoff)],
        3,
    )
    ballot_p, ballot_start, ballot_s = _ballots(p_index(r_p), s_index(r_s), r_position)

    user_to_participant = {u: i for i, (_id, _n, u) in enumerate(participants) if u is not None}
    return Snapshot(
        participant_numbers=np.array([n for _i, n, _u in participants], dtype=np.int64),
        statement_numbers=np.array([n for _i, n, _s, _m in statements], dtype=np.int64),
        statement_status=tuple(st for _i, _n, st, _m in statements),
        statement_meta=np.array([bool(m) for _i, _n, _s, m in statements], dtype=bool),
        vote_participant=vote_p.astype(np.int32),
        vote_statement=vote_s.astype(np.int32),
        vote_value=vote_v.astype(np.int8),
        vote_time_ms=vote_t,
        comparison_participant=c_p[c_known].astype(np.int32),
        comparison_a=c_a[c_known].astype(np.int32),
        comparison_b=c_b[c_known].astype(np.int32),
        comparison_choice=c_choice[order][c_known].astype(np.int8),
        ballot_participant=ballot_p,
        ballot_start=ballot_start,
        ballot_statements=ballot_s,
        segments=_segments(space_id, user_to_participant),
    )


def _ballots(
    participant: NDArray[np.int64], statement: NDArray[np.int64], position: NDArray[np.int64]
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int32]]:
    """Ballot entries (indices; -1 = not in the snapshot) as per-participant ballots.

    Entries whose participant or statement is outside the snapshot are
    dropped; a ballot left empty is not a ballot.
    """
    keep = (participant >= 0) & (statement >= 0)
    participant, statement, position = participant[keep], statement[keep], position[keep]
    order = np.lexsort((position, participant))
    participant, statement = participant[order], statement[order]
    people, start = np.unique(participant, return_index=True)
    bounds = np.append(start, participant.size).astype(np.int64)
    return people.astype(np.int32), bounds, statement.astype(np.int32)


def _segments(
    space_id: int, user_to_participant: dict[int, int]
) -> dict[str, dict[str, NDArray[np.int32]]]:
    segments: dict[str, dict[str, list[int]]] = {}
    if user_to_participant:
        for user_id, label, choice in SegmentAnswer.objects.filter(
            membership__community__spaces__id=space_id,
            membership__status=Membership.Status.ACTIVE,
            membership__user_id__in=list(user_to_participant),
        ).values_list("membership__user_id", "question__label", "choice"):
            segments.setdefault(label, {}).setdefault(choice, []).append(
                user_to_participant[user_id]
            )
    return {
        q: {c: np.array(sorted(m), dtype=np.int32) for c, m in choices.items()}
        for q, choices in segments.items()
    }


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


def statement_vectors(*, space_id: int, numbers: list[int]) -> NDArray[np.float32]:
    """The stored sentence embeddings of these statements, one row each in the given order.

    A statement without an embedding gets a zero row (it then joins no topic
    by similarity; the run embeds missing ones before it reads).
    """
    from aggregation.engine.embedding import DIMENSIONS, MODEL_NAME

    rows = dict(
        StatementEmbedding.objects.filter(
            statement__space_id=space_id, statement__number__in=numbers, model=MODEL_NAME
        ).values_list("statement__number", "vector")
    )
    out = np.zeros((len(numbers), DIMENSIONS), dtype=np.float32)
    for i, n in enumerate(numbers):
        if n in rows:
            out[i] = np.frombuffer(bytes(rows[n]), dtype="<f4")
    return out


# --- Permission-bearing reads ------------------------------------------------


def space_for_analysis(*, user: User | AnonymousUser, space_id: int) -> Space:
    """The space if the user may run and watch its analysis (facilitators); 404/403 otherwise."""
    return space_access(user=user, space_id=space_id, action=Action.RUN_ANALYSIS).space


def run_get_for_user(*, user: User | AnonymousUser, run_id: int) -> AnalysisRun:
    """A run, if the user may run analyses in its space."""
    run = AnalysisRun.objects.select_related("space__community").filter(pk=run_id).first()
    if run is None:
        raise Http404(_("No such analysis run."))
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
        raise Http404(
            _("Space %(space)s has no published version %(version)s.")
            % {"space": space.pk, "version": version}
        )
    return profile


def profile_get_for_publisher(*, user: User | AnonymousUser, profile_id: int) -> ValueProfile:
    """A profile (draft or not) for review by someone who may publish in its space."""
    profile = ValueProfile.objects.select_related("space__community", "run").filter(pk=profile_id)
    found = profile.first()
    if found is None:
        raise Http404(_("No such profile."))
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
        principles=profile.principle_wordings,
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
        raise Http404(
            _("Space %(space)s has no published value profile yet.") % {"space": space_id}
        )
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
    space, _sep, version = text.strip().partition(":")
    if not space.isdigit() or (version and not version.isdigit()) or len(text) > 40:
        raise ValueError(
            _("%(field)s: expected a space id, or a space id and a version as 12:3; got %(text)r.")
            % {"field": field, "text": text}
        )
    return int(space), (int(version) if version else None)


def profile_comparison(
    *, user: User | AnonymousUser, a: tuple[int, int | None], b: tuple[int, int | None]
) -> dict[str, Any]:
    """Two profiles the user may read, compared (aggregation.compare); 404 for either unreadable."""
    first = profile_for_reader(user=user, space_id=a[0], version=a[1])
    second = profile_for_reader(user=user, space_id=b[0], version=b[1])
    same_space = first.space_id == second.space_id
    similarity = None if same_space else _meaning_similarity(first, second)
    return compare.compare(
        first.content, second.content, same_space=same_space, similarity=similarity
    )


def _meaning_similarity(first: ValueProfile, second: ValueProfile) -> compare.Similarity | None:
    """Cosine similarities of two profiles' values from their stored sentence embeddings.

    None without the embedding model. Values whose statement has no stored
    embedding yet are embedded here (the run embeds every statement, so
    this is rare).
    """
    from aggregation.engine import embedding

    if not embedding.available():
        return None

    def vectors(profile: ValueProfile) -> NDArray[np.float32]:
        values = profile.content["values"]
        numbers = [v["statement"] for v in values]
        out = statement_vectors(space_id=profile.space_id, numbers=numbers)
        missing = [i for i in range(len(numbers)) if not out[i].any()]
        if missing:
            out[missing] = embedding.embed([values[i]["text"] for i in missing])
        return out

    va, vb = vectors(first), vectors(second)
    similarities = (va @ vb.T).astype(np.float64)
    return lambda _texts_a, _texts_b: similarities
