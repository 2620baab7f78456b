"""A deliberation with planted structure, written straight into the database.

Two camps disagree on the first statements and both agree on the last ones,
so the analysis finds two opinion groups, consensus and bridging statements.
Some participants are accounts with tell-tale usernames and e-mails, so
privacy tests can look for them in exports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from communities.models import Membership, SegmentAnswer, SegmentQuestion
from communities.roles import Role
from elicitation.models import (
    Comparison,
    ModerationStatus,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.factories import UserFactory

SECRET_PREFIX = "zz-secret-user"


@dataclass
class Deliberation:
    space: Space
    participants: list[Participant]
    statements: list[Statement]
    users: list[User] = field(default_factory=list)


def populate(
    space: Space,
    *,
    participants: int = 24,
    statements: int = 8,
    accounts: int = 6,
    comparisons: bool = True,
    rankings: bool = True,
    seed: int = 7,
    account_id_base: int | None = None,
) -> Deliberation:
    rng = random.Random(seed)
    start = timezone.now() - timedelta(hours=1)
    stmts = [
        Statement.objects.create(
            space=space,
            number=j + 1,
            text=f"Value statement {j + 1}: we care about thing {j + 1}",
            normalized_text=f"value statement {j + 1} we care about thing {j + 1}",
            status=ModerationStatus.ACCEPTED,
            is_seed=True,
            created_at=start,
        )
        for j in range(statements)
    ]
    space.statement_counter = statements
    users: list[User] = []
    people: list[Participant] = []
    for i in range(participants):
        user = None
        if i < accounts:
            extra = {} if account_id_base is None else {"id": account_id_base + i}
            user = UserFactory.create(
                username=f"{SECRET_PREFIX}-{i}",
                email=f"{SECRET_PREFIX}-{i}@private.example",
                first_name="Zelda",
                last_name=f"Secretname{i}",
                **extra,
            )
            Membership.objects.create(user=user, community=space.community, role=Role.MEMBER)
            users.append(user)
        people.append(
            Participant.objects.create(
                space=space,
                number=i + 1,
                user=user,
                anon_token="" if user else f"anon-{space.pk}-{i}",
                created_at=start,
            )
        )
    space.participant_counter = participants
    space.save(update_fields=["statement_counter", "participant_counter"])

    divisive = max(1, statements - 2)
    events: list[VoteEvent] = []
    latest: list[Vote] = []
    tick = 0
    for i, person in enumerate(people):
        camp = i % 2
        for j, statement in enumerate(stmts):
            # Divisive statements split the camps; the last ones unite them.
            agree_p = (0.9 if j % 2 == camp else 0.1) if j < divisive else 0.92
            roll = rng.random()
            value = 0 if roll < 0.05 else (1 if rng.random() < agree_p else -1)
            tick += 1
            when = start + timedelta(seconds=tick)
            events.append(
                VoteEvent(participant=person, statement=statement, value=value, created_at=when)
            )
            latest.append(
                Vote(participant=person, statement=statement, value=value, updated_at=when)
            )
    VoteEvent.objects.bulk_create(events)
    Vote.objects.bulk_create(latest)

    if comparisons and statements >= 2:
        rows = []
        for i, person in enumerate(people):
            for _ in range(3):
                a, b = rng.sample(range(statements), 2)
                favourite = a if (a >= divisive or a % 2 == i % 2) else b
                rows.append(
                    Comparison(
                        participant=person,
                        statement_a=stmts[a],
                        statement_b=stmts[b],
                        choice="a" if favourite == a else "b",
                        created_at=start + timedelta(seconds=tick),
                    )
                )
        Comparison.objects.bulk_create(rows)
    if rankings and statements >= 3:
        for i, person in enumerate(people):
            ballot = Ranking.objects.create(participant=person, updated_at=start)
            order = [statements - 1, i % 2, statements - 2]
            RankingEntry.objects.bulk_create(
                RankingEntry(ranking=ballot, statement=stmts[s], position=pos)
                for pos, s in enumerate(dict.fromkeys(order), start=1)
            )
    return Deliberation(space=space, participants=people, statements=stmts, users=users)


def add_segment(space: Space, users: list[User], *, label: str, choices: dict[str, int]) -> None:
    """Answer a segment question for `users`: choice -> how many of them, in order."""
    question = SegmentQuestion.objects.create(
        community=space.community, label=label, choices=list(choices)
    )
    remaining = iter(users)
    for choice, count in choices.items():
        for _ in range(count):
            user = next(remaining)
            membership = Membership.objects.get(user=user, community=space.community)
            SegmentAnswer.objects.create(membership=membership, question=question, choice=choice)


def cast_vote(participant: Participant, statement: Statement, value: int) -> None:
    """What a participant's vote writes: the history event and the latest vote."""
    now = timezone.now()
    VoteEvent.objects.create(participant=participant, statement=statement, value=value)
    Vote.objects.update_or_create(
        participant=participant, statement=statement, defaults={"value": value, "updated_at": now}
    )
