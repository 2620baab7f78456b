"""Reliability with real worker processes: the database is the source of truth."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from aggregation import services
from aggregation.models import AnalysisRun, ValueProfile
from communities.roles import Role
from elicitation.models import ModerationStatus, Statement
from tests.aggregation.conftest import WorkerEnv, celery_broker, member_of
from tests.aggregation.data import cast_vote, populate
from tests.conftest import REPO, CeleryWorker, wait_for
from tests.factories import SpaceFactory
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class DedicatedWorker(CeleryWorker):
    """A worker of one test, on that test's own broker; optionally a slowed-down one."""

    def __init__(self, queue: str, env: dict[str, str], log_path: Path, *, slow_s: float = 0):
        super().__init__(queue, env, log_path)
        self.slow_s = slow_s

    def start(self) -> None:
        module = "tests.aggregation.slow_worker" if self.slow_s else "celery"
        env = {**self.env, "CELERY_QUEUE": self.queue, "SLOW_ANALYSIS_S": str(self.slow_s)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.queue,
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )


@contextmanager
def dedicated_worker(
    redis: RedisServer, worker_env: WorkerEnv, tmp_path: Path, *, slow_s: float = 0
) -> Iterator[DedicatedWorker]:
    """A worker on our own Redis, and this process publishing there too."""
    from config.celery import app

    queue = f"own-{uuid.uuid4().hex[:8]}"
    worker = DedicatedWorker(queue, worker_env(redis.url), tmp_path / "worker.log", slow_s=slow_s)
    saved_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    worker.start()
    try:
        with celery_broker(redis.url):
            yield worker
    finally:
        worker.stop()
        app.conf.task_default_queue = saved_queue


def _status(run_id: int) -> str:
    return AnalysisRun.objects.get(pk=run_id).status


def test_a_run_requested_through_the_api_is_executed_by_the_real_worker(
    celery_worker: CeleryWorker,
) -> None:
    deliberation = populate(SpaceFactory.create(), participants=16, statements=5)
    client = Client()
    client.force_login(member_of(deliberation.space, Role.FACILITATOR))

    response = client.post(
        reverse("aggregation-api:space-runs", kwargs={"space_id": deliberation.space.pk})
    )

    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    assert wait_for(lambda: _status(run_id) == AnalysisRun.Status.SUCCEEDED, timeout=120), (
        f"run is {_status(run_id)}; worker log:\n{celery_worker.log()[-4000:]}"
    )
    run = AnalysisRun.objects.get(pk=run_id)
    assert run.counts["votes"] == 16 * 5
    assert run.result is not None
    assert set(run.result["participants"]) == {str(n) for n in range(1, 17)}
    assert ValueProfile.objects.filter(run=run, status=ValueProfile.Status.DRAFT).exists()


def test_with_redis_down_people_keep_voting_and_the_analysis_catches_up(
    own_redis: RedisServer, worker_env: WorkerEnv, tmp_path: Path
) -> None:
    deliberation = populate(SpaceFactory.create(), participants=16, statements=5)
    client = Client()
    client.force_login(member_of(deliberation.space, Role.FACILITATOR))
    runs_url = reverse("aggregation-api:space-runs", kwargs={"space_id": deliberation.space.pk})

    with dedicated_worker(own_redis, worker_env, tmp_path) as worker:
        own_redis.stop()

        # Everything participants do goes to the database only.
        late = Statement.objects.create(
            space=deliberation.space,
            number=6,
            text="Written while the queue was down",
            normalized_text="written while the queue was down",
            status=ModerationStatus.ACCEPTED,
        )
        for person in deliberation.participants:
            cast_vote(person, late, 1)
        started = time.monotonic()
        response = client.post(runs_url)
        assert response.status_code == 201, response.content
        assert time.monotonic() - started < 15, "enqueueing must fail fast while Redis is down"
        run_id = response.json()["id"]
        time.sleep(1)
        assert _status(run_id) == AnalysisRun.Status.QUEUED

        own_redis.start()
        # What the beat task does every minute: send again what stayed queued.
        assert wait_for(
            lambda: services.runs_requeue_lost(older_than=timedelta(0)) >= 1, timeout=30
        ), "could not publish to the restarted Redis"
        assert wait_for(lambda: _status(run_id) == AnalysisRun.Status.SUCCEEDED, timeout=120), (
            f"run is {_status(run_id)}; worker log:\n{worker.log()[-4000:]}"
        )

    run = AnalysisRun.objects.get(pk=run_id)
    assert run.counts["votes"] == 16 * 6
    assert run.result is not None
    assert run.result["statements"]["6"]["votes"]["agree"] == 16


def test_a_worker_killed_mid_run_gets_its_run_retried_once_then_failed_never_stuck(
    own_redis: RedisServer, worker_env: WorkerEnv, tmp_path: Path
) -> None:
    deliberation = populate(SpaceFactory.create(), participants=10, statements=4)

    def in_analysis(attempt: int) -> bool:
        assert run is not None
        current = AnalysisRun.objects.get(pk=run.pk)
        return (
            current.status == AnalysisRun.Status.RUNNING
            and current.stage == "groups"
            and current.attempts == attempt
        )

    with dedicated_worker(own_redis, worker_env, tmp_path, slow_s=60) as worker:
        run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
        assert run is not None
        assert wait_for(lambda: in_analysis(1), timeout=90), (
            f"run never reached the analysis; worker log:\n{worker.log()[-4000:]}"
        )
        worker.kill()

    stuck = AnalysisRun.objects.get(pk=run.pk)
    assert stuck.status == AnalysisRun.Status.RUNNING
    assert stuck.attempts == 1
    time.sleep(2.5)

    # A new worker; the reaper finds the first one's run silent, puts it back
    # in the queue and sends it again (to the new worker's queue); it is killed too.
    with dedicated_worker(own_redis, worker_env, tmp_path, slow_s=60) as worker:
        assert services.run_reap_stale(max_silence_s=2) == 1
        retried = AnalysisRun.objects.get(pk=run.pk)
        assert "retrying (attempt 2 of 2)" in retried.error
        assert retried.status in (AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING)
        assert wait_for(lambda: in_analysis(2), timeout=90), (
            f"the retry never started; worker log:\n{worker.log()[-4000:]}"
        )
        worker.kill()
    time.sleep(2.5)

    assert services.run_reap_stale(max_silence_s=2) == 1
    reaped = AnalysisRun.objects.get(pk=run.pk)
    assert reaped.status == AnalysisRun.Status.FAILED
    assert "stopped responding in stage groups" in reaped.error
    assert "attempt 2 of 2" in reaped.error
    assert reaped.finished_at is not None
    # The space is free again: the next run can start.
    assert services.run_request(space=deliberation.space, trigger="auto") is not None
