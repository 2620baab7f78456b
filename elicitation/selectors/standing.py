"""Where a participant stands among the opinion groups of the latest analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from aggregation.report import group_label
from aggregation.results import StoredResult
from elicitation.models import ModerationStatus, Participant, Space, Statement, Vote
from elicitation.selectors.analysis import latest_analysis_result


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
    result = StoredResult.from_json(latest_analysis_result(space=space))
    standing = Standing(
        votes=votes, needs_votes=STANDING_MIN_VOTES, analysis=result.has_groups, own_statements=own
    )
    if not result.has_groups or participant is None or votes < STANDING_MIN_VOTES:
        return standing
    wanted: set[int] = set()
    parsed: list[dict[str, Any]] = []
    for found in result.groups:
        wanted.update(found.agree, found.disagree)
        parsed.append(
            {
                "index": found.index,
                "id": found.id,
                "label": group_label(found.index),
                "size": found.size,
                "agree": list(found.agree),
                "disagree": list(found.disagree),
            }
        )
    c_agree, c_disagree = result.consensus_agree, result.consensus_disagree
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
    mine = result.participants.get(participant.number)
    for group in parsed:
        if mine is not None and (mine == group["index"] or mine == group["id"]):
            standing.group = group
        else:
            standing.others.append(group)
    return standing
