"""Reads of the elicitation app that cross a permission boundary."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.crypto import constant_time_compare

from aggregation.naming import group_label
from communities.models import Community, Membership
from communities.roles import Action, role_allows
from elicitation.models import (
    Argument,
    Comparison,
    Flag,
    ModerationAction,
    ModerationStatus,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    Statement,
    Vote,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


def space_role(*, user: User | AnonymousUser, space: Space) -> str | None:
    """The user's active role in the space's community, or None."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(
            user=user, community_id=space.community_id, status=Membership.Status.ACTIVE
        )
        .only("role")
        .first()
    )
    return membership.role if membership else None


@dataclass(frozen=True)
class LinkProof:
    """What a request shows for having come through a space's "anyone with the link" URL.

    `identity.link_proof` builds it from the request without loading the
    space; `space_get_for_user` checks it against the space it loads.
    """

    # Link tokens the request presents (the API's X-Space-Link header, the
    # signed grant that /j/<token>/ leaves in the browser), compared with the
    # space's own.
    tokens: tuple[str, ...] = ()
    # The space whose signed participant token the request carries: only the
    # link hands such tokens out, so holding one proves the link was used.
    # The vote statement for token holders (`services.votes_cast_for_anon_tokens`,
    # used by the vote API and elicitation.vote_lane) relies on this: it
    # admits a holder of such a token without looking at the community.
    participant_token_for: int | None = None

    def admits(self, space: Space) -> bool:
        return self.participant_token_for == space.pk or any(
            constant_time_compare(token, space.link_token) for token in self.tokens
        )


def space_get_for_user(
    *,
    user: User | AnonymousUser,
    space_id: int,
    action: Action = Action.VIEW,
    link: LinkProof | None = None,
) -> Space:
    """The space if `user` may perform `action` on it.

    Raises Http404 when the user may not even know the space exists (a private
    community they are not in, a draft they cannot manage, a banned member) and
    PermissionDenied when they can see it but not do `action`. Spaces open to
    "anyone with the link" need no membership for VIEW and PARTICIPATE once
    open; in a private community a non-member must also have come through the
    link (`link`), or the numeric id alone would open the space. Public
    communities list their spaces anyway, so there the id is enough.
    """
    space = Space.objects.select_related("community").filter(pk=space_id).first()
    if space is None:
        raise Http404("No such space.")
    community = space.community
    banned = (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, community=community, status=Membership.Status.BANNED
        ).exists()
    )
    if banned:
        raise Http404("No such space.")
    role = space_role(user=user, space=space)
    manager = role_allows(role, Action.CREATE_SPACE)
    if space.phase == Space.Phase.DRAFT and not manager:
        raise Http404("No such space.")
    if community.visibility == Community.Visibility.PRIVATE and role is None:
        through_link = (
            space.participation == Space.Participation.LINK
            and link is not None
            and link.admits(space)
        )
        # 404 rather than 403 without the link: the id must not reveal the space.
        if not (through_link and action in (Action.VIEW, Action.PARTICIPATE)):
            raise Http404("No such space.")
    if action == Action.VIEW:
        return space
    if action == Action.PARTICIPATE and space.participation == Space.Participation.LINK:
        return space
    if action == Action.VIEW_RESULTS and community.visibility == Community.Visibility.PUBLIC:
        return space
    if not role_allows(role, action):
        raise PermissionDenied(f"Your role does not allow this ({action.value}).")
    return space


# --- Beyond access: what participants and facilitators read -------------------


def community_get_for_user(
    *, user: User | AnonymousUser, slug: str, action: Action = Action.VIEW
) -> Community:
    """The community if the user may see it and do `action` in it (404 / PermissionDenied)."""
    community = Community.objects.visible_to(user).filter(slug=slug).first()
    if community is None:
        raise Http404("No such community, or it is private.")
    if action == Action.VIEW:
        return community
    membership = (
        Membership.objects.filter(
            user=user, community=community, status=Membership.Status.ACTIVE
        ).first()
        if user.is_authenticated
        else None
    )
    if not role_allows(membership.role if membership else None, action):
        raise PermissionDenied(f"Your role does not allow this ({action.value}).")
    return community


def space_list_for_user(*, user: User | AnonymousUser, community: Community) -> QuerySet[Space]:
    """Spaces of a visible community; drafts only for those who manage spaces."""
    spaces = Space.objects.filter(community=community).select_related("community")
    role = None
    if user.is_authenticated:
        role = (
            Membership.objects.filter(
                user=user, community=community, status=Membership.Status.ACTIVE
            )
            .values_list("role", flat=True)
            .first()
        )
    if not role_allows(role, Action.CREATE_SPACE):
        spaces = spaces.exclude(phase=Space.Phase.DRAFT)
    return spaces.order_by("-created_at", "-id")


def participant_find(
    *, space: Space, user: User | AnonymousUser, anon_token: str = "", xid: str = ""
) -> Participant | None:
    """The existing participant for this person, without creating one (reads stay side-effect free)."""
    if xid:
        lookup: dict[str, Any] = {"xid": xid}
    elif user.is_authenticated:
        lookup = {"user": user}
    elif anon_token:
        lookup = {"anon_token": anon_token}
    else:
        return None
    participant = Participant.objects.filter(space=space, **lookup).first()
    if participant is not None:
        participant.space = space  # avoid re-reading the space we already hold
    return participant


def latest_analysis_result(*, space: Space) -> dict[str, Any] | None:
    """The `result` of the space's latest succeeded analysis run, if it is a dict."""
    from aggregation.models import AnalysisRun

    result = (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-created_at", "-id")
        .values_list("result", flat=True)
        .first()
    )
    return result if isinstance(result, dict) else None


def _priorities(result: dict[str, Any] | None) -> dict[int, float]:
    """`result["priorities"]` as {statement number: priority}; {} when missing or malformed."""
    raw = result.get("priorities") if result else None
    if not isinstance(raw, dict):
        return {}
    priorities: dict[int, float] = {}
    for key, value in raw.items():
        try:
            priorities[int(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return priorities


def _not_voted_by(participant: Participant | None) -> Q:
    if participant is None:
        return Q()
    return ~Q(Exists(Vote.objects.filter(participant=participant, statement=OuterRef("pk"))))


def statement_next(
    *, space: Space, participant: Participant | None, result: dict[str, Any] | None = None
) -> Statement | None:
    """The next statement to vote on, never one `participant` already voted on.

    With an analysis, the highest routing priority (DESIGN.md, computed by the
    engine) wins, ties broken by the lower number; statements newer than the
    analysis have no priority yet and go first (they need votes most). Without
    one, the statement with the fewest votes, then the lowest number.
    """
    candidates = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).filter(
        _not_voted_by(participant)
    )
    priorities = _priorities(result)
    if priorities:
        rows = list(candidates.values_list("pk", "number"))
        if not rows:
            return None
        pk, _ = min(rows, key=lambda r: (-priorities.get(r[1], math.inf), r[1]))
        return Statement.objects.get(pk=pk)
    rows = list(candidates.values_list("pk", "number"))
    if not rows:
        return None
    counts = _statement_vote_counts(space)
    pk, _ = min(rows, key=lambda r: (counts.get(r[0], 0), r[1]))
    return Statement.objects.get(pk=pk)


# Figures that many requests read and that may lag a few seconds: counting
# every vote of a large space (100k votes: ~150 ms on PostgreSQL) on each card
# or each 5-second poll would cost more than the votes themselves.
VOTE_COUNTS_TTL_S = 5
SPACE_COUNTS_TTL_S = 3


def _cache_key(space: Space, name: str) -> str:
    # created_at keeps keys of a deleted and re-created id (tests) apart.
    return f"elicitation:{name}:{space.pk}:{space.created_at.timestamp()}"


def _cached(key: str, ttl: int, compute: Callable[[], T]) -> T:
    """`compute()` through the cache; a cache that is down only costs the computation."""
    try:
        value = cache.get(key)
    except Exception:  # Redis errors come in many classes; never fail a page over a cache
        logger.warning("Cache unavailable for %s; computing directly.", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, ttl)
        except Exception:
            logger.warning("Cache unavailable for %s; not stored.", key, exc_info=True)
    return cast(T, value)


def _statement_vote_counts(space: Space) -> dict[int, int]:
    """{statement pk: number of latest votes}, at most VOTE_COUNTS_TTL_S old."""

    def compute() -> dict[int, int]:
        return dict(
            Vote.objects.filter(statement__space=space)
            .values("statement")
            .annotate(n=Count("pk"))
            .values_list("statement", "n")
        )

    return _cached(_cache_key(space, "vote-counts"), VOTE_COUNTS_TTL_S, compute)


@dataclass(frozen=True)
class Progress:
    voted: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.voted / self.total) if self.total else 0


def vote_progress(*, space: Space, participant: Participant | None) -> Progress:
    """How many accepted statements the participant has voted on, of how many.

    Two indexed COUNTs rather than one join over every vote of the space.
    """
    total = Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).count()
    if participant is None:
        return Progress(0, total)
    voted = Vote.objects.filter(
        participant=participant, statement__status=ModerationStatus.ACCEPTED
    ).count()
    return Progress(voted, total)


def statements_with_counts(
    *, space: Space, status: str = ModerationStatus.ACCEPTED
) -> QuerySet[Statement]:
    """Statements (accepted unless asked) with agree / disagree / pass counts, in one query."""
    return (
        Statement.objects.filter(space=space, status=status)
        .annotate(
            agree=Count("votes", filter=Q(votes__value=1)),
            disagree=Count("votes", filter=Q(votes__value=-1)),
            passes=Count("votes", filter=Q(votes__value=0)),
        )
        .order_by("number")
    )


def statement_counts(*, statement: Statement) -> dict[str, int]:
    counts = Vote.objects.filter(statement=statement).aggregate(
        agree=Count("pk", filter=Q(value=1)),
        disagree=Count("pk", filter=Q(value=-1)),
        passes=Count("pk", filter=Q(value=0)),
    )
    return {k: v or 0 for k, v in counts.items()}


def space_counts(*, space: Space) -> dict[str, int]:
    """The live figures of the space page, at most SPACE_COUNTS_TTL_S old."""
    return _cached(
        _cache_key(space, "space-counts"), SPACE_COUNTS_TTL_S, lambda: _space_counts(space)
    )


def _space_counts(space: Space) -> dict[str, int]:
    return {
        "participants": Participant.objects.filter(space=space).count(),
        "statements": Statement.objects.filter(
            space=space, status=ModerationStatus.ACCEPTED
        ).count(),
        "votes": Vote.objects.filter(statement__space=space).count(),
        "comparisons": Comparison.objects.filter(participant__space=space).count(),
        "rankings": Ranking.objects.filter(participant__space=space).count(),
        "arguments": Argument.objects.filter(
            statement__space=space, status=ModerationStatus.ACCEPTED
        ).count(),
    }


def statement_get_visible(
    *, space: Space, number: int, participant: Participant | None, moderator: bool
) -> Statement:
    """A statement by number: accepted ones for all, pending/rejected for moderators and authors."""
    statement = Statement.objects.filter(space=space, number=number).first()
    if statement is None:
        raise Http404("No such statement in this space.")
    own = participant is not None and statement.author_id == participant.pk
    if statement.status != ModerationStatus.ACCEPTED and not (moderator or own):
        raise Http404("No such statement in this space.")
    statement.space = space
    return statement


@dataclass
class ArgumentNode:
    argument: Argument
    replies: list[ArgumentNode] = field(default_factory=list)


def argument_tree(
    *, statement: Statement, participant: Participant | None = None
) -> dict[str, list[ArgumentNode]]:
    """Accepted arguments (plus the participant's own pending ones) as threads by stance."""
    visible = Q(status=ModerationStatus.ACCEPTED)
    if participant is not None:
        visible |= Q(status=ModerationStatus.PENDING, author=participant)
    arguments = list(
        Argument.objects.filter(visible, statement=statement)
        .select_related("author")
        .order_by("created_at", "id")
    )
    nodes = {a.pk: ArgumentNode(a) for a in arguments}
    roots: dict[str, list[ArgumentNode]] = {"for": [], "against": []}
    for argument in arguments:
        node = nodes[argument.pk]
        if argument.parent_id is None:
            roots[argument.stance].append(node)
        elif argument.parent_id in nodes:
            nodes[argument.parent_id].replies.append(node)
        # A reply whose parent was removed disappears with it.
    return roots


@dataclass(frozen=True)
class PairCandidate:
    number: int
    comparisons: int
    win_rate: float


def pair_next(
    *, space: Space, participant: Participant | None
) -> tuple[Statement, Statement] | None:
    """The next "which matters more?" pair for the participant, or None (< 2 statements).

    Heuristic, on counts only: take the statements compared least often
    (they tell us least), then among pairs of those prefer pairs this
    participant has not judged, with the fewest comparisons in total, then the
    closest smoothed win rates (wins+1)/(comparisons+2), i.e. the most
    uncertain outcome. Never the pair the participant judged last.
    """
    statements = {
        s.number: s
        for s in Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).only(
            "id", "number", "text", "space_id", "is_meta"
        )
        if not s.is_meta
    }
    if len(statements) < 2:
        return None
    totals: dict[int, int] = dict.fromkeys(statements, 0)
    wins: dict[int, int] = dict.fromkeys(statements, 0)
    by_pk = {s.pk: n for n, s in statements.items()}
    space_comparisons = Comparison.objects.filter(participant__space=space)
    for side, winning in (
        ("statement_a", Comparison.Choice.A),
        ("statement_b", Comparison.Choice.B),
    ):
        rows = space_comparisons.values(side).annotate(
            n=Count("pk"), w=Count("pk", filter=Q(choice=winning))
        )
        for row in rows:
            number = by_pk.get(row[side])
            if number is not None:
                totals[number] += row["n"]
                wins[number] += row["w"]
    judged: set[frozenset[int]] = set()
    last: frozenset[int] | None = None
    if participant is not None:
        mine = Comparison.objects.filter(participant=participant).order_by("-created_at", "-id")
        for i, (a, b) in enumerate(mine.values_list("statement_a", "statement_b")):
            if a in by_pk and b in by_pk:
                key = frozenset((by_pk[a], by_pk[b]))
                judged.add(key)
                if i == 0:
                    last = key
            elif i == 0:
                last = frozenset()
    rate = {n: (wins[n] + 1) / (totals[n] + 2) for n in statements}
    # Bounded work on big spaces: only the 24 least-compared statements.
    pool = sorted(statements, key=lambda n: (totals[n], n))[:24]
    best: tuple[Any, ...] | None = None
    for i, x in enumerate(pool):
        for y in pool[i + 1 :]:
            key = frozenset((x, y))
            if key == last:
                continue
            score = (key in judged, totals[x] + totals[y], abs(rate[x] - rate[y]), x, y)
            if best is None or score < best:
                best = score
    if best is None:
        return None
    first, second = best[3], best[4]
    # Alternate sides between rounds so neither position is always the lower number.
    if participant is not None and len(judged) % 2 == 1:
        first, second = second, first
    return statements[first], statements[second]


def ranking_for(*, participant: Participant | None) -> list[Statement]:
    """The participant's current ballot, first choice first."""
    if participant is None:
        return []
    return [
        entry.statement
        for entry in RankingEntry.objects.filter(ranking__participant=participant)
        .select_related("statement")
        .order_by("position")
    ]


@dataclass
class Standing:
    """What a participant sees under "where you stand"."""

    votes: int
    needs_votes: int
    analysis: bool
    group: dict[str, Any] | None = None  # {"id", "size", "label", "agree", "disagree"}
    others: list[dict[str, Any]] = field(default_factory=list)
    consensus_agree: list[Statement] = field(default_factory=list)
    consensus_disagree: list[Statement] = field(default_factory=list)
    own_statements: list[Statement] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.votes >= self.needs_votes and self.analysis


STANDING_MIN_VOTES = 7


def _numbers(raw: Any) -> list[int]:
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            continue
    return out


def where_you_stand(*, space: Space, participant: Participant | None) -> Standing:
    """The participant's opinion group, what groups agree on, and their own statements.

    Reads the latest succeeded analysis; a missing or older-format result
    shows as "no analysis yet" rather than an error.
    """
    votes = (
        Vote.objects.filter(
            participant=participant, statement__status=ModerationStatus.ACCEPTED
        ).count()
        if participant
        else 0
    )
    own: list[Statement] = []
    if participant is not None:
        own = list(
            Statement.objects.filter(author=participant)
            .annotate(
                agree=Count("votes", filter=Q(votes__value=1)),
                disagree=Count("votes", filter=Q(votes__value=-1)),
                passes=Count("votes", filter=Q(votes__value=0)),
            )
            .order_by("number")
        )
    result = latest_analysis_result(space=space)
    groups = result.get("groups") if result else None
    assignments = result.get("participants") if result else None
    consensus = result.get("consensus") if result else None
    usable = isinstance(groups, list) and isinstance(assignments, dict)
    standing = Standing(
        votes=votes, needs_votes=STANDING_MIN_VOTES, analysis=usable, own_statements=own
    )
    if not usable or participant is None or votes < STANDING_MIN_VOTES:
        return standing
    assert isinstance(groups, list)
    assert isinstance(assignments, dict)
    wanted: set[int] = set()
    parsed: list[dict[str, Any]] = []
    for index, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        agree: list[int] = []
        disagree: list[int] = []
        for rep in group.get("representative") or []:
            if not isinstance(rep, dict):
                continue
            try:
                number = int(rep["statement"])
            except (KeyError, TypeError, ValueError):
                continue
            (agree if rep.get("direction") == "agree" else disagree).append(number)
            wanted.add(number)
        gid = group.get("id", index)
        parsed.append(
            {
                "index": index,
                "id": gid,
                "label": group_label(index),
                "size": group.get("size"),
                "agree": agree,
                "disagree": disagree,
            }
        )
    c_agree = _numbers(consensus.get("agree")) if isinstance(consensus, dict) else []
    c_disagree = _numbers(consensus.get("disagree")) if isinstance(consensus, dict) else []
    wanted.update(c_agree, c_disagree)
    texts = {
        s.number: s
        for s in Statement.objects.filter(
            space=space, number__in=wanted, status=ModerationStatus.ACCEPTED
        )
    }
    for group in parsed:
        group["agree"] = [texts[n] for n in group["agree"] if n in texts]
        group["disagree"] = [texts[n] for n in group["disagree"] if n in texts]
    standing.consensus_agree = [texts[n] for n in c_agree if n in texts]
    standing.consensus_disagree = [texts[n] for n in c_disagree if n in texts]
    mine = assignments.get(str(participant.number), assignments.get(participant.number))
    for group in parsed:
        if mine is not None and (mine == group["index"] or mine == group["id"]):
            standing.group = group
        else:
            standing.others.append(group)
    return standing


def moderation_queue(*, space: Space) -> dict[str, Any]:
    """Pending statements and arguments and open flags, each list in one query."""
    return {
        "statements": list(
            Statement.objects.filter(space=space, status=ModerationStatus.PENDING)
            .select_related("author")
            .order_by("created_at", "number")
        ),
        "arguments": list(
            Argument.objects.filter(statement__space=space, status=ModerationStatus.PENDING)
            .select_related("statement", "author")
            .order_by("created_at", "id")
        ),
        "flags": list(
            Flag.objects.filter(
                Q(statement__space=space) | Q(argument__statement__space=space),
                resolved_at__isnull=True,
            )
            .select_related("statement", "argument__statement", "reporter")
            .order_by("created_at", "id")
        ),
    }


def decision_log(*, space: Space) -> QuerySet[ModerationAction]:
    """The public decision log, newest first; actors appear by role, not by name."""
    return ModerationAction.objects.filter(space=space).select_related("statement", "argument")
