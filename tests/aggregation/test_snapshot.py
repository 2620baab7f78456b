from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aggregation.selectors import snapshot_read
from elicitation.models import ModerationStatus, Vote
from tests.aggregation.data import cast_vote, populate
from tests.factories import ParticipantFactory, SpaceFactory, StatementFactory

pytestmark = pytest.mark.django_db


def test_the_snapshot_keys_people_and_statements_by_their_per_space_numbers() -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=6, statements=3, accounts=2)

    snapshot = snapshot_read(space_id=space.pk)

    assert snapshot.participant_numbers == (1, 2, 3, 4, 5, 6)
    assert snapshot.statement_numbers == (1, 2, 3)
    assert len(snapshot.vote_events) == 18
    canonical = snapshot.canonical()
    assert {v[0] for v in canonical["votes"]} == {p.number for p in d.participants}
    assert len(snapshot.rankings) == 6
    assert len(snapshot.comparisons) == 18


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
            snapshot.participant_numbers.index(vote.participant.number),
            snapshot.statement_numbers.index(vote.statement.number),
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

    assert later.number not in snapshot.statement_numbers
    assert len(snapshot.vote_events) == len(d.participants) * 2


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
