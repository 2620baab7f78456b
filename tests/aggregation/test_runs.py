from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aggregation import analysis, services
from aggregation.analysis import routing_order
from aggregation.models import AnalysisRun, ValueProfile
from elicitation import selectors
from elicitation.models import Vote
from tests.aggregation.conftest import analysed, celery_broker
from tests.aggregation.data import Deliberation, cast_vote, populate
from tests.factories import SpaceFactory
from tests.redis_server import free_port

pytestmark = pytest.mark.django_db


def test_a_request_queues_one_run_and_sends_it_after_commit(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)

    assert run is not None
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.stage == AnalysisRun.Stage.QUEUED
    assert len(callbacks) == 1


def test_a_second_request_while_one_is_active_creates_nothing(deliberation: Deliberation) -> None:
    first = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)

    second = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.API)

    assert first is not None
    assert second is None
    assert AnalysisRun.objects.filter(space=deliberation.space).count() == 1


def test_the_database_refuses_two_active_runs_of_one_space(deliberation: Deliberation) -> None:
    AnalysisRun.objects.create(space=deliberation.space)

    with pytest.raises(IntegrityError):
        AnalysisRun.objects.create(space=deliberation.space, status=AnalysisRun.Status.RUNNING)


def test_a_request_losing_the_race_returns_none_instead_of_failing(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other request inserted its run between our check and our insert.
    AnalysisRun.objects.create(space=deliberation.space)
    monkeypatch.setattr(
        AnalysisRun.objects, "filter", lambda *a, **k: AnalysisRun.objects.none(), raising=False
    )

    assert services.run_request(space=deliberation.space, trigger="manual") is None


def test_an_unreachable_broker_leaves_the_run_queued_and_the_request_succeeds(
    deliberation: Deliberation,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    caplog.set_level(logging.WARNING, logger="aggregation.services")

    with celery_broker(dead), django_capture_on_commit_callbacks(execute=True):
        run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)

    assert run is not None
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.enqueued_at is None
    assert "Could not enqueue analysis run" in caplog.text


@pytest.mark.full_bootstrap
def test_a_run_stores_result_fingerprint_versions_timings_and_counts(
    deliberation: Deliberation,
) -> None:
    run = analysed(deliberation.space)

    assert run.stage == AnalysisRun.Stage.DONE
    assert len(run.input_fingerprint) == 64
    assert run.engine_version
    assert run.attempts == 1
    assert run.counts == {
        "participants": 24,
        "voters": 24,
        "statements": 8,
        "votes": 24 * 8,
        "comparisons": 24 * 3,
        "rankings": 24,
    }
    for stage in ("reading", "groups", "bridging", "pairwise", "rankings", "saving"):
        assert stage in run.timings
    assert run.parameters["seed"] == 0
    assert run.parameters["bootstrap"]["resamples"] == 200
    assert run.parameters["bootstrap"]["method"] == "participant-percentile/2"
    assert run.parameters["bootstrap"]["bridging_sweeps"] == 40
    assert "bootstrap" in run.timings
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at


def test_the_result_is_keyed_by_participant_and_statement_numbers(
    deliberation: Deliberation,
) -> None:
    result = analysed(deliberation.space).result
    assert result is not None

    numbers = {str(p.number) for p in deliberation.participants}
    assert set(result["participants"]) == numbers
    assert len(result["groups"]) == 2
    assert sorted(g["size"] for g in result["groups"]) == [12, 12]
    for group in result["groups"]:
        assert set(group) >= {"id", "size", "representative"}
        for rep in group["representative"]:
            assert rep["direction"] in ("agree", "disagree")
            assert 1 <= rep["statement"] <= 8
    assert set(result["priorities"]) == {str(n) for n in range(1, 9)}
    assert set(result["consensus"]) == {"agree", "disagree"}
    # The last two statements unite both camps.
    assert {7, 8} <= set(result["consensus"]["agree"])
    entry = result["statements"]["8"]
    assert entry["bridging"]["status"] == "bridging"
    assert entry["pairwise"]["score"] > 50
    assert entry["rankings"]["borda"] == 1


def test_participants_in_each_group_agree_with_their_camp(deliberation: Deliberation) -> None:
    result = analysed(deliberation.space).result
    assert result is not None

    groups_of_camp: dict[int, set[int]] = {0: set(), 1: set()}
    for person in deliberation.participants:
        groups_of_camp[(person.number - 1) % 2].add(result["participants"][str(person.number)])
    assert len(groups_of_camp[0]) == 1
    assert len(groups_of_camp[1]) == 1
    assert groups_of_camp[0] != groups_of_camp[1]


def test_running_twice_on_the_same_snapshot_gives_identical_results(
    deliberation: Deliberation,
) -> None:
    first = analysed(deliberation.space)
    second = analysed(deliberation.space)

    assert second.pk != first.pk
    assert second.input_fingerprint == first.input_fingerprint
    assert second.result == first.result
    assert second.parameters == first.parameters


def test_a_new_vote_changes_the_fingerprint(deliberation: Deliberation) -> None:
    first = analysed(deliberation.space)
    cast_vote(deliberation.participants[0], deliberation.statements[0], 0)

    second = analysed(deliberation.space)

    assert second.input_fingerprint != first.input_fingerprint


def test_a_duplicate_delivery_does_nothing(deliberation: Deliberation) -> None:
    run = analysed(deliberation.space)
    finished = run.finished_at

    assert services.run_execute(run_id=run.pk) is False

    run.refresh_from_db()
    assert run.attempts == 1
    assert run.finished_at == finished
    assert ValueProfile.objects.filter(run=run).count() == 1


def test_a_failing_engine_marks_the_run_failed_with_its_reason(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        kwargs["on_stage"]("bridging")
        raise ValueError("singular matrix in the solver")

    monkeypatch.setattr(analysis, "analyze_snapshot", broken)
    run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
    assert run is not None

    services.run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert "bridging" in run.error
    assert "singular matrix in the solver" in run.error
    assert run.finished_at is not None
    assert not ValueProfile.objects.filter(space=deliberation.space).exists()
    # The space is free for the next run.
    assert services.run_request(space=deliberation.space, trigger="manual") is not None


def test_a_transient_database_error_releases_the_run_and_the_task_retries_it(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from aggregation.tasks import run_analysis

    real = analysis.analyze_snapshot
    calls: list[int] = []

    def flaky(snapshot: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(snapshot, **kwargs)

    monkeypatch.setattr(analysis, "analyze_snapshot", flaky)
    run = services.run_request(space=deliberation.space, trigger="manual")
    assert run is not None

    # Eager: Celery runs the retry at once instead of after the backoff.
    run_analysis.apply(args=(run.pk,))

    run.refresh_from_db()
    assert len(calls) == 2
    assert run.status == AnalysisRun.Status.SUCCEEDED
    assert run.attempts == 2


def test_a_run_over_the_soft_time_limit_is_failed_with_that_reason(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args: Any, **kwargs: Any) -> Any:
        kwargs["on_stage"]("bootstrap")
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(analysis, "analyze_snapshot", too_slow)
    run = services.run_request(space=deliberation.space, trigger="manual")
    assert run is not None

    services.run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert "Stopped in stage bootstrap" in run.error
    assert "time limit" in run.error


def test_an_empty_space_still_analyses_to_an_empty_result() -> None:
    space = SpaceFactory.create()

    run = analysed(space)

    assert run.result is not None
    assert run.result["groups"] == []
    assert run.result["participants"] == {}
    assert run.counts["votes"] == 0


def test_the_reaper_retries_a_silent_run_once_then_fails_it(
    deliberation: Deliberation,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[int] = []

    def enqueue(*, run_id: int) -> bool:
        sent.append(run_id)
        return True

    monkeypatch.setattr(services, "run_enqueue", enqueue)
    long_ago = timezone.now() - timedelta(seconds=91)
    stale = AnalysisRun.objects.create(
        space=deliberation.space,
        status=AnalysisRun.Status.RUNNING,
        stage=AnalysisRun.Stage.GROUPS,
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=1,
    )
    fresh_space = populate(SpaceFactory.create(), participants=3, statements=2).space
    fresh = AnalysisRun.objects.create(
        space=fresh_space,
        status=AnalysisRun.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() - timedelta(seconds=60),
        attempts=1,
    )

    # The beat's default: 90 s of silence is a dead worker.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_reap_stale() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == AnalysisRun.Status.QUEUED
    assert "stopped responding in stage groups" in stale.error
    assert "retrying (attempt 2 of 2)" in stale.error
    assert sent == [stale.pk]
    assert fresh.status == AnalysisRun.Status.RUNNING

    # The retry is claimed, and its worker dies too: now the run fails, with the reason.
    assert services.run_claim(run_id=stale.pk)
    AnalysisRun.objects.filter(pk=stale.pk).update(heartbeat_at=long_ago)
    assert services.run_reap_stale() == 1
    stale.refresh_from_db()
    assert stale.status == AnalysisRun.Status.FAILED
    assert stale.attempts == 2
    assert "on attempt 2 of 2" in stale.error
    assert stale.finished_at is not None
    assert sent == [stale.pk]
    # The space is free again.
    assert services.run_request(space=deliberation.space, trigger="auto") is not None


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread
def test_a_long_stage_keeps_beating_so_the_reaper_leaves_a_live_run_alone(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(services, "HEARTBEAT_S", 0.05)
    beats: list[Any] = []
    real = analysis.analyze_snapshot

    def slow(snapshot: Any, **kwargs: Any) -> Any:
        run = AnalysisRun.objects.get(space=deliberation.space)
        first = run.heartbeat_at
        time.sleep(0.5)  # one long stage, no stage change
        beats.append((first, AnalysisRun.objects.get(pk=run.pk).heartbeat_at))
        return real(snapshot, **kwargs)

    monkeypatch.setattr(analysis, "analyze_snapshot", slow)
    run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
    assert run is not None
    services.run_execute(run_id=run.pk)
    ((first, later),) = beats
    assert later > first
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED


def test_a_late_worker_cannot_overwrite_the_reapers_verdict(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = analysis.analyze_snapshot

    def slow_then_reaped(snapshot: Any, **kwargs: Any) -> Any:
        output = real(snapshot, **kwargs)
        AnalysisRun.objects.filter(space=deliberation.space).update(
            status=AnalysisRun.Status.FAILED, error="reaped"
        )
        return output

    monkeypatch.setattr(analysis, "analyze_snapshot", slow_then_reaped)
    run = services.run_request(space=deliberation.space, trigger="manual")
    assert run is not None

    services.run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert run.error == "reaped"
    assert run.result is None
    assert not ValueProfile.objects.exists()


# --- Triggers ------------------------------------------------------------------


def _age_runs(space_id: int, by: timedelta) -> None:
    for run in AnalysisRun.objects.filter(space_id=space_id):
        AnalysisRun.objects.filter(pk=run.pk).update(created_at=run.created_at - by)


def test_auto_runs_start_for_open_spaces_with_activity_and_no_run_yet(
    deliberation: Deliberation,
) -> None:
    closed = populate(SpaceFactory.create(phase="closed"), participants=3, statements=2).space
    quiet = SpaceFactory.create()

    created = services.runs_request_auto()

    assert AnalysisRun.objects.get(pk=created[0]).space == deliberation.space
    assert len(created) == 1
    assert AnalysisRun.objects.get(pk=created[0]).trigger == AnalysisRun.Trigger.AUTO
    assert not AnalysisRun.objects.filter(space__in=[closed, quiet]).exists()


def test_auto_runs_wait_for_enough_new_activity(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    _age_runs(deliberation.space.pk, timedelta(minutes=4))
    cast_vote(deliberation.participants[0], deliberation.statements[0], 0)

    assert services.runs_request_auto() == []

    for person in deliberation.participants[:20]:
        cast_vote(person, deliberation.statements[1], 1)
    assert len(services.runs_request_auto()) == 1


def test_auto_runs_never_come_more_often_than_the_minimum_interval(
    deliberation: Deliberation,
) -> None:
    analysed(deliberation.space)
    for person in deliberation.participants:
        cast_vote(person, deliberation.statements[1], 0)

    assert services.runs_request_auto() == []


def test_a_little_activity_gets_analysed_once_things_go_quiet(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    cast_vote(deliberation.participants[0], deliberation.statements[0], 0)
    _age_runs(deliberation.space.pk, timedelta(minutes=6))

    assert len(services.runs_request_auto()) == 1


def test_runs_stuck_in_the_queue_are_sent_again_without_flooding_a_busy_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[int] = []

    def record(*, run_id: int) -> bool:
        sent.append(run_id)
        return True

    monkeypatch.setattr(services, "run_enqueue", record)
    now = timezone.now()

    def queued(*, created_ago: timedelta, enqueued_ago: timedelta | None) -> AnalysisRun:
        run = AnalysisRun.objects.create(space=SpaceFactory.create())
        AnalysisRun.objects.filter(pk=run.pk).update(
            created_at=now - created_ago,
            enqueued_at=None if enqueued_ago is None else now - enqueued_ago,
        )
        return run

    never_sent = queued(created_ago=timedelta(minutes=5), enqueued_ago=None)
    queued(created_ago=timedelta(seconds=5), enqueued_ago=None)  # its message is on its way
    queued(created_ago=timedelta(minutes=5), enqueued_ago=timedelta(minutes=5))  # a busy worker
    long_lost = queued(created_ago=timedelta(hours=1), enqueued_ago=timedelta(minutes=30))

    assert services.runs_requeue_lost() == 2
    assert sorted(sent) == sorted([never_sent.pk, long_lost.pk])


def test_a_run_handed_to_the_broker_records_when(
    deliberation: Deliberation,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aggregation.tasks import run_analysis

    calls: list[Any] = []
    monkeypatch.setattr(run_analysis, "apply_async", lambda *a, **kw: calls.append(kw["args"]))

    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_request(space=deliberation.space, trigger="manual")

    assert run is not None
    assert calls == [(run.pk,)]
    run.refresh_from_db()
    assert run.enqueued_at is not None


def test_the_beat_schedule_runs_auto_requests_and_the_reaper() -> None:
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "aggregation.tasks.request_auto_runs" in tasks
    assert "aggregation.tasks.reap_stale_runs" in tasks


def test_a_run_stores_the_routing_order_the_vote_card_reads_instead_of_the_result(
    deliberation: Deliberation,
) -> None:
    run = analysed(deliberation.space)
    assert run.result is not None
    priorities = {int(n): p for n, p in run.result["priorities"].items()}
    assert run.routing == routing_order(priorities)
    assert sorted(run.routing) == list(range(1, 9))

    person = deliberation.participants[0]
    Vote.objects.filter(participant=person).delete()
    with CaptureQueriesContext(connection) as captured:
        statement = selectors.statement_next(
            space=deliberation.space,
            participant=person,
            routing=selectors.latest_routing(space=deliberation.space),
        )
    assert statement is not None
    assert statement.number == run.routing[0]
    assert not any('"result"' in query["sql"] for query in captured.captured_queries)


def test_analyze_space_runs_the_task_in_this_process_and_prints_the_stages(
    deliberation: Deliberation,
) -> None:
    out = StringIO()
    with mock.patch("aggregation.services.run_enqueue") as enqueue:
        call_command("analyze_space", str(deliberation.space.pk), stdout=out)
    enqueue.assert_not_called()  # no worker may claim it first
    run = AnalysisRun.objects.get(space=deliberation.space)
    assert run.status == AnalysisRun.Status.SUCCEEDED
    assert run.trigger == AnalysisRun.Trigger.COMMAND
    assert ValueProfile.objects.filter(run=run, status=ValueProfile.Status.DRAFT).exists()
    text = out.getvalue()
    assert f"Run {run.pk} of space {deliberation.space.pk} succeeded" in text
    for stage in ("reading", "groups", "bridging", "bootstrap", "saving"):
        assert stage in text


def test_analyze_space_exits_non_zero_with_the_reason(
    deliberation: Deliberation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(snapshot: Any, **kwargs: Any) -> Any:
        raise ValueError("the engine broke")

    monkeypatch.setattr(analysis, "analyze_snapshot", broken)
    with pytest.raises(CommandError, match="failed: Failed in stage reading: ValueError"):
        call_command("analyze_space", str(deliberation.space.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="No space with id 0"):
        call_command("analyze_space", "0")
    run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
    assert run is not None
    with pytest.raises(CommandError, match=f"run {run.pk} is queued"):
        call_command("analyze_space", str(deliberation.space.pk))
