from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from unittest import mock

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aggregation.selectors import snapshot_read
from elicitation.models import ModerationStatus, Participant, Statement, Vote, VoteEvent
from tests.aggregation.data import cast_vote, populate
from tests.factories import ParticipantFactory, SpaceFactory, StatementFactory
from tests.requirements import needs_postgresql

pytestmark = pytest.mark.django_db


def test_the_snapshot_keys_people_and_statements_by_their_per_space_numbers() -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=6, statements=3, accounts=2)

    snapshot = snapshot_read(space_id=space.pk)

    assert snapshot.participant_numbers.tolist() == [1, 2, 3, 4, 5, 6]
    assert snapshot.statement_numbers.tolist() == [1, 2, 3]
    assert snapshot.n_vote_events == 18
    voters = set(snapshot.participant_numbers[snapshot.vote_participant].tolist())
    assert voters == {p.number for p in d.participants}
    assert snapshot.n_ballots == 6
    assert snapshot.n_comparisons == 18


def test_the_latest_vote_of_each_pair_matches_the_vote_table() -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=4, statements=3, comparisons=False, rankings=False)
    person, statement = d.participants[0], d.statements[0]
    cast_vote(person, statement, -1)
    cast_vote(person, statement, 1)

    snapshot = snapshot_read(space_id=space.pk)

    latest = snapshot.latest_votes()
    for vote in Vote.objects.filter(participant__space=space).select_related(
        "participant", "statement"
    ):
        key = (
            snapshot.participant_numbers.tolist().index(vote.participant.number),
            snapshot.statement_numbers.tolist().index(vote.statement.number),
        )
        assert latest[key] == vote.value


def test_latest_votes_without_history_are_still_read() -> None:
    space = SpaceFactory.create()
    person = ParticipantFactory.create(space=space, number=1)
    statement = StatementFactory.create(space=space, number=1)
    Vote.objects.create(participant=person, statement=statement, value=-1)

    snapshot = snapshot_read(space_id=space.pk)

    assert snapshot.latest_votes() == {(0, 0): -1}


def test_rows_after_the_cutoff_are_left_out() -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=4, statements=2, comparisons=False, rankings=False)
    cutoff = timezone.now()
    later = StatementFactory.create(
        space=space, number=99, created_at=cutoff + timedelta(seconds=5)
    )

    snapshot = snapshot_read(space_id=space.pk, cutoff=cutoff)

    assert later.number not in snapshot.statement_numbers.tolist()
    assert snapshot.n_vote_events == len(d.participants) * 2


def test_the_fingerprint_is_stable_and_changes_with_any_vote() -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=5, statements=3)
    first = snapshot_read(space_id=space.pk).fingerprint()
    assert snapshot_read(space_id=space.pk).fingerprint() == first
    assert len(first) == 64

    cast_vote(d.participants[0], d.statements[1], 0)

    assert snapshot_read(space_id=space.pk).fingerprint() != first


def test_rejected_statements_are_read_with_their_status() -> None:
    space = SpaceFactory.create()
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.REJECTED)

    snapshot = snapshot_read(space_id=space.pk)

    assert snapshot.statement_status == ("accepted", "rejected")


def test_the_votes_come_in_time_order_with_ties_in_the_order_they_were_cast() -> None:
    space = SpaceFactory.create()
    people = [ParticipantFactory.create(space=space, number=n) for n in (1, 2)]
    statement = StatementFactory.create(space=space, number=1)
    moment = timezone.now() - timedelta(minutes=5)
    for person, value, at in (
        (people[1], 1, moment + timedelta(seconds=2)),
        (people[0], -1, moment),
        (people[1], 0, moment + timedelta(seconds=2)),
    ):
        VoteEvent.objects.create(
            participant=person, statement=statement, value=value, created_at=at
        )
        Vote.objects.update_or_create(
            participant=person, statement=statement, defaults={"value": value, "updated_at": at}
        )

    snapshot = snapshot_read(space_id=space.pk)

    assert snapshot.vote_value.tolist() == [-1, 1, 0]
    assert snapshot.vote_participant.tolist() == [0, 1, 1]
    ms = int(moment.timestamp() * 1000)
    assert snapshot.vote_time_ms.tolist() == [ms, ms + 2000, ms + 2000]


def test_the_fingerprint_ignores_database_ids_and_the_order_of_comparisons() -> None:
    first, second = SpaceFactory.create(), SpaceFactory.create()
    moment = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=moment):
        populate(first, participants=6, statements=3, seed=3)
        populate(second, participants=6, statements=3, seed=3)
    a, b = snapshot_read(space_id=first.pk), snapshot_read(space_id=second.pk)
    # Same input, other rows: the second space's ids are all different.
    assert a.fingerprint() == b.fingerprint()
    shuffled = dataclasses.replace(
        b,
        comparison_participant=b.comparison_participant[::-1],
        comparison_a=b.comparison_a[::-1],
        comparison_b=b.comparison_b[::-1],
        comparison_choice=b.comparison_choice[::-1],
    )
    assert shuffled.fingerprint() == a.fingerprint()
    changed = dataclasses.replace(b, vote_value=np.where(b.vote_value == 1, 0, b.vote_value))
    assert changed.fingerprint() != a.fingerprint()


@needs_postgresql
def test_a_run_reads_the_snapshot_in_the_same_few_queries_whatever_the_number_of_votes(
    django_assert_max_num_queries: Any,
) -> None:
    small, large = SpaceFactory.create(), SpaceFactory.create()
    populate(small, participants=4, statements=2, accounts=2)
    populate(large, participants=60, statements=12, accounts=4)
    VoteEvent.objects.bulk_create(
        VoteEvent(participant=p, statement=s, value=(p.pk + s.pk) % 3 - 1)
        for p in Participant.objects.filter(space=large)
        for s in Statement.objects.filter(space=large)
        for _ in range(5)
    )
    queries = []
    for space in (small, large):
        with CaptureQueriesContext(connection) as captured:
            snapshot = snapshot_read(space_id=space.pk)
        queries.append(len(captured))
        assert snapshot.n_vote_events > 0
    assert queries[0] == queries[1]
    with django_assert_max_num_queries(8):
        snapshot_read(space_id=large.pk)
