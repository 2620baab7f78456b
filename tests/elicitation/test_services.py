from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.utils import timezone

from aggregation.analysis import routing_order
from config.api_errors import http_status
from config.exceptions import Conflict, Forbidden
from elicitation import selectors, services
from elicitation.models import (
    Comparison,
    ModerationAction,
    ModerationStatus,
    Participant,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.factories import SpaceFactory, StatementFactory

pytestmark = pytest.mark.django_db


def _next_number(space: Space, participant: Participant, routing: Any = ()) -> int | None:
    statement = selectors.statement_next(space=space, participant=participant, routing=routing)
    return statement.number if statement else None


def _pair(space: Space, participant: Participant) -> tuple[Statement, Statement]:
    pair = selectors.pair_next(space=space, participant=participant)
    assert pair is not None
    return pair


def _participant(space: Space, token: str = "tok") -> Participant:
    participant, _ = services.participant_get_or_create(space=space, anon_token=token)
    return participant


def test_participants_get_consecutive_numbers_per_space_and_are_found_again(space: Space) -> None:
    first, created = services.participant_get_or_create(space=space, anon_token="a")
    second, _ = services.participant_get_or_create(space=space, anon_token="b")
    again, created_again = services.participant_get_or_create(space=space, anon_token="a")
    other_space = SpaceFactory.create()
    elsewhere, _ = services.participant_get_or_create(space=other_space, anon_token="a")
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert created
    assert not created_again
    assert again.pk == first.pk


def test_an_xid_maps_an_embedding_sites_user_to_one_participant(space: Space) -> None:
    a, _ = services.participant_get_or_create(space=space, xid="site-user-7")
    b, _ = services.participant_get_or_create(space=space, xid="site-user-7")
    assert a.pk == b.pk
    assert a.xid == "site-user-7"


def test_xids_are_refused_in_members_only_spaces() -> None:
    space = SpaceFactory.create(participation=Space.Participation.MEMBERS)
    with pytest.raises(ValidationError, match="External ids"):
        services.participant_get_or_create(space=space, xid="x")
    assert not Participant.objects.exists()


def test_proposing_cleans_whitespace_and_accepts_under_post_moderation(space: Space) -> None:
    statement = services.statement_propose(
        space=space, participant=_participant(space), text="  Clean   water\n is a right  "
    )
    assert statement.text == "Clean water is a right"
    assert statement.status == ModerationStatus.ACCEPTED
    assert statement.number == 1


def test_pre_moderation_keeps_proposals_pending(space: Space) -> None:
    space.moderation = Space.Moderation.PRE
    space.save()
    statement = services.statement_propose(
        space=space, participant=_participant(space), text="Parks for every neighbourhood"
    )
    assert statement.status == ModerationStatus.PENDING


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   too short ", "at least 10"),
        ("x" * 281, "at most 280"),
        ("!!!!!!!!!!!!", "words"),
    ],
)
def test_bad_statement_texts_are_refused_and_nothing_is_saved(
    space: Space, text: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.statement_propose(space=space, participant=_participant(space), text=text)
    assert not Statement.objects.exists()
    space.refresh_from_db()
    assert space.statement_counter == 0


def test_exact_and_near_duplicates_are_refused_with_a_pointer(space: Space) -> None:
    participant = _participant(space)
    original = services.statement_propose(
        space=space, participant=participant, text="Clean drinking water is a right, not a product."
    )
    for text in [
        "clean drinking water is a RIGHT not a product",
        "Clean drinking water is a right, not a produkt!",
        "Clean drinking-water is a right; not a product.",
    ]:
        with pytest.raises(services.DuplicateStatement) as caught:
            services.statement_propose(space=space, participant=participant, text=text)
        assert caught.value.existing.pk == original.pk
    different = services.statement_propose(
        space=space, participant=participant, text="Clean drinking water should be sold at cost."
    )
    assert different.number == 2


def test_a_rejected_statement_does_not_block_a_new_wording(space: Space, facilitator: User) -> None:
    participant = _participant(space)
    first = services.statement_propose(
        space=space, participant=participant, text="Ban cars from the centre"
    )
    services.statement_moderate(
        statement=first, actor=facilitator, decision="reject", reason="rude"
    )
    again = services.statement_propose(
        space=space, participant=participant, text="Ban cars from the centre"
    )
    assert again.status == ModerationStatus.ACCEPTED


def test_html_is_stored_as_plain_text(space: Space) -> None:
    statement = services.statement_propose(
        space=space,
        participant=_participant(space),
        text="<script>alert(1)</script> is not a value",
    )
    assert statement.text.startswith("<script>")


def test_a_closed_or_out_of_schedule_space_accepts_no_input(space: Space) -> None:
    participant = _participant(space)
    space.phase = Space.Phase.CLOSED
    with pytest.raises(Conflict, match="closed"):
        services.statement_propose(
            space=space, participant=participant, text="A fine statement here"
        )
    space.phase = Space.Phase.OPEN
    space.closes_at = timezone.now() - timedelta(minutes=1)
    space.opens_at = timezone.now() - timedelta(days=1)
    with pytest.raises(Conflict, match="schedule has ended"):
        services.statement_propose(
            space=space, participant=participant, text="A fine statement here"
        )
    assert not Statement.objects.exists()


def test_a_switched_off_activity_is_refused_with_403(space: Space) -> None:
    space.pairwise_enabled = False
    with pytest.raises(Forbidden) as caught:
        services.comparison_record(
            participant=_participant(space), statement_a=1, statement_b=2, choice="a"
        )
    assert http_status(caught.value) == 403


def test_changing_a_vote_keeps_history_and_replays_change_nothing(space: Space) -> None:
    statement = StatementFactory.create(space=space, number=1)
    participant = _participant(space)
    first = services.vote_cast(participant=participant, statement_number=1, value=1)
    replay = services.vote_cast(participant=participant, statement_number=1, value=1)
    change = services.vote_cast(participant=participant, statement_number=1, value=-1)
    assert (first.created, first.changed) == (True, True)
    assert (replay.created, replay.changed) == (False, False)
    assert (change.created, change.changed) == (False, True)
    assert list(Vote.objects.values_list("value", flat=True)) == [-1]
    assert list(
        VoteEvent.objects.filter(statement=statement).order_by("id").values_list("value", flat=True)
    ) == [1, -1]


@pytest.mark.parametrize("status", [ModerationStatus.PENDING, ModerationStatus.REJECTED])
def test_votes_on_statements_not_accepted_are_refused(space: Space, status: str) -> None:
    StatementFactory.create(space=space, number=4, status=status)
    with pytest.raises(ValidationError, match="#4"):
        services.vote_cast(participant=_participant(space), statement_number=4, value=1)
    assert not Vote.objects.exists()
    assert not VoteEvent.objects.exists()


def test_votes_with_bad_values_or_unknown_statements_are_refused(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    participant = _participant(space)
    with pytest.raises(ValidationError, match="value"):
        services.vote_cast(participant=participant, statement_number=1, value=2)
    with pytest.raises(ValidationError, match="no statement #99"):
        services.vote_cast(participant=participant, statement_number=99, value=1)
    assert not Vote.objects.exists()


def test_next_statement_favours_fewest_votes_and_skips_voted_ones(space: Space) -> None:
    s1 = StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    StatementFactory.create(space=space, number=3, status=ModerationStatus.PENDING)
    other = _participant(space, "other")
    me = _participant(space, "me")
    services.vote_cast(participant=other, statement_number=1, value=1)
    assert _next_number(space, me) == 2
    services.vote_cast(participant=me, statement_number=2, value=0)
    assert selectors.statement_next(space=space, participant=me) == s1
    services.vote_cast(participant=me, statement_number=1, value=0)
    assert selectors.statement_next(space=space, participant=me) is None
    assert selectors.vote_progress(space=space, participant=me) == selectors.Progress(2, 2)


def test_next_statement_follows_the_analysis_priorities_with_a_stable_tie_break(
    space: Space,
) -> None:
    for n in (1, 2, 3, 4):
        StatementFactory.create(space=space, number=n)
    routing = routing_order({1: 0.5, 2: 3.0, 3: 3.0, 4: 1.0})
    assert routing == [2, 3, 4, 1]
    me = _participant(space)
    assert _next_number(space, me, routing) == 2
    services.vote_cast(participant=me, statement_number=2, value=1)
    assert _next_number(space, me, routing) == 3
    services.vote_cast(participant=me, statement_number=3, value=1)
    assert _next_number(space, me, routing) == 4
    # Statements newer than the analysis come first, lowest number first.
    StatementFactory.create(space=space, number=9)
    StatementFactory.create(space=space, number=7)
    assert _next_number(space, me, routing) == 7


def test_pairs_prefer_little_compared_statements_and_never_repeat_the_last_pair(
    space: Space,
) -> None:
    for n in (1, 2, 3, 4):
        StatementFactory.create(space=space, number=n)
    me = _participant(space)
    a, b = _pair(space, me)
    services.comparison_record(
        participant=me, statement_a=a.number, statement_b=b.number, choice="a"
    )
    c, d = _pair(space, me)
    assert {c.number, d.number} == {1, 2, 3, 4} - {a.number, b.number}
    services.comparison_record(
        participant=me, statement_a=c.number, statement_b=d.number, choice="b"
    )
    seen = {frozenset((a.number, b.number)), frozenset((c.number, d.number))}
    for _ in range(6):
        x, y = _pair(space, me)
        key = frozenset((x.number, y.number))
        # Unjudged pairs first; only once all six are judged may one come back.
        assert key not in seen or len(seen) == 6
        last = Comparison.objects.filter(participant=me).order_by("-id")[0]
        assert key != {last.statement_a.number, last.statement_b.number}
        seen.add(key)
        services.comparison_record(
            participant=me, statement_a=x.number, statement_b=y.number, choice="neither"
        )


def test_the_same_pair_twice_in_a_row_updates_the_last_answer(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    me = _participant(space)
    services.comparison_record(participant=me, statement_a=1, statement_b=2, choice="a")
    _, created = services.comparison_record(
        participant=me, statement_a=2, statement_b=1, choice="a"
    )
    comparison = Comparison.objects.get()
    assert not created
    assert comparison.statement_a.number == 1
    assert comparison.choice == "b"


def test_comparing_a_statement_with_itself_is_refused(space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    with pytest.raises(ValidationError, match="two different"):
        services.comparison_record(
            participant=_participant(space), statement_a=1, statement_b=1, choice="a"
        )
    assert not Comparison.objects.exists()


def test_a_ballot_is_replaced_whole_and_bad_ballots_change_nothing(space: Space) -> None:
    for n in range(1, 8):
        StatementFactory.create(space=space, number=n)
    StatementFactory.create(space=space, number=9, status=ModerationStatus.PENDING)
    me = _participant(space)
    services.ranking_submit(participant=me, statement_numbers=[3, 1, 2])
    services.ranking_submit(participant=me, statement_numbers=[2, 5])
    assert [s.number for s in selectors.ranking_for(participant=me)] == [2, 5]
    for bad, message in [
        ([1, 1], "repeated: #1"),
        ([1, 99], "no statement #99"),
        ([1, 9], "#9"),
        ([1, 2, 3, 4, 5, 6], "at most 5"),
        ([], "at least one"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.ranking_submit(participant=me, statement_numbers=bad)
    assert list(
        RankingEntry.objects.order_by("position").values_list("statement__number", flat=True)
    ) == [2, 5]


def test_moderation_decisions_are_logged_with_the_actors_role(
    space: Space, facilitator: User
) -> None:
    space.moderation = Space.Moderation.PRE
    statement = services.statement_propose(
        space=space, participant=_participant(space), text="Parks within ten minutes of home"
    )
    services.statement_moderate(statement=statement, actor=facilitator, decision="approve")
    with pytest.raises(ValidationError, match="reason"):
        services.statement_moderate(statement=statement, actor=facilitator, decision="reject")
    services.statement_moderate(
        statement=statement, actor=facilitator, decision="reject", reason="off topic"
    )
    log = list(
        ModerationAction.objects.order_by("id").values_list("action", "actor_role", "reason")
    )
    assert log == [("approve", "facilitator", ""), ("reject", "facilitator", "off topic")]


def test_rejecting_resolves_open_flags(space: Space, facilitator: User) -> None:
    statement = StatementFactory.create(space=space, number=1)
    flag, _ = services.flag_create(
        participant=_participant(space), statement=statement, reason="spam"
    )
    _, created = services.flag_create(
        participant=_participant(space), statement=statement, reason="spam"
    )
    assert not created
    services.statement_moderate(
        statement=statement, actor=facilitator, decision="reject", reason="spam"
    )
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_closing_a_space_logs_the_phase_and_requests_a_final_analysis(
    space: Space, facilitator: User
) -> None:
    calls = []
    with mock.patch(
        "aggregation.services.run_request", create=True, side_effect=lambda **kw: calls.append(kw)
    ):
        services.space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=facilitator)
    entry = ModerationAction.objects.get()
    assert entry.action == "phase"
    assert entry.detail == {"from": "open", "to": "closed"}
    assert calls == [{"space": mock.ANY, "trigger": "close", "requested_by": facilitator}]
    assert Space.objects.get(pk=space.pk).phase == "closed"
    with pytest.raises(ValidationError, match="already closed"):
        services.space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=facilitator)


def test_arguments_are_threaded_moderated_and_replays_are_harmless(
    space: Space, facilitator: User
) -> None:
    statement = StatementFactory.create(space=space, number=1)
    me = _participant(space)
    root, _ = services.argument_post(
        statement=statement, participant=me, stance="for", text="Water is life."
    )
    reply, _ = services.argument_post(
        statement=statement,
        participant=me,
        stance="against",
        text="But it costs money.",
        parent=root,
    )
    _, created = services.argument_post(
        statement=statement, participant=me, stance="for", text="Water is life."
    )
    assert not created
    tree = selectors.argument_tree(statement=statement)
    assert tree["for"][0].argument == root
    assert tree["for"][0].replies[0].argument == reply
    services.argument_moderate(argument=root, actor=facilitator, decision="reject", reason="dup")
    assert selectors.argument_tree(statement=statement) == {"for": [], "against": []}


def test_where_you_stand_needs_seven_votes_and_reads_the_groups(space: Space) -> None:
    from aggregation.models import AnalysisRun

    for n in range(1, 9):
        StatementFactory.create(space=space, number=n)
    me = _participant(space)
    for n in range(1, 8):
        services.vote_cast(participant=me, statement_number=n, value=1)
    assert not selectors.where_you_stand(space=space, participant=me).ready
    AnalysisRun.objects.create(space=space, status="succeeded", result={"old": "format"})
    standing = selectors.where_you_stand(space=space, participant=me)
    assert standing.votes == 7
    assert not standing.analysis
    AnalysisRun.objects.create(
        space=space,
        status="succeeded",
        result={
            "participants": {str(me.number): 1},
            "groups": [
                {"id": 0, "size": 3, "representative": [{"statement": 2, "direction": "agree"}]},
                {"id": 1, "size": 4, "representative": [{"statement": 3, "direction": "disagree"}]},
            ],
            "consensus": {"agree": [1], "disagree": []},
        },
    )
    standing = selectors.where_you_stand(space=space, participant=me)
    assert standing.ready
    group = standing.group
    assert group is not None
    assert group["label"] == "Group B"
    assert [s.number for s in group["disagree"]] == [3]
    assert [s.number for s in standing.others[0]["agree"]] == [2]
    assert [s.number for s in standing.consensus_agree] == [1]


def test_anonymous_lookup_without_identity_finds_nobody(space: Space) -> None:
    assert selectors.participant_find(space=space, user=AnonymousUser()) is None


def test_closing_a_space_queues_a_final_analysis_run(space: Space, facilitator: User) -> None:
    from aggregation.models import AnalysisRun

    services.space_set_phase(
        space=space, phase=Space.Phase.CLOSED, actor=facilitator, reason="done"
    )
    run = AnalysisRun.objects.get(space=space)
    assert run.trigger == "close"
    assert run.requested_by == facilitator
    assert run.status == AnalysisRun.Status.QUEUED
