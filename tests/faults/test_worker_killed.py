"""Fault: the Celery worker is killed (SIGKILL) in the middle of an analysis run.

A private Redis, a real `celery beat` and real workers on it, all started by
the test. The run is visibly under way (its heartbeat thread writing), then
the worker is gone without a word: the beat's reaper must send the run again
once; a second loss fails it with the reason. Never stuck "running", and the
space takes a new run after.

Nothing is faked: the intervals are the settings' (heartbeat, silence, reaper
schedule), shortened through the environment of the worker and beat
processes so the test takes seconds instead of minutes. The production
defaults are checked against the "detected within about two minutes" bound.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from aggregation import services
from aggregation.models import AnalysisRun
from tests.aggregation.conftest import WorkerEnv, celery_broker
from tests.aggregation.data import populate
from tests.aggregation.test_worker import DedicatedWorker
from tests.conftest import REPO, wait_for
from tests.factories import SpaceFactory
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DETECTION_BOUND_S = 150  # "detected within about 2 minutes"
# Shortened for the test processes: beat every 1 s, silence after 4 s.
FAST = {"RUN_HEARTBEAT_S": "1", "RUN_STALE_AFTER_S": "4", "RUN_REAP_EVERY_S": "1"}


def _reaper() -> tuple[float, dict[str, Any]]:
    """The beat's reaper entry: how often it runs, and the arguments it is called with."""
    entry: dict[str, Any] = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if str(e["task"]).endswith("reap_stale_runs")
    )
    return float(entry["schedule"]), dict(entry.get("kwargs") or {})


class Deployment:
    """A beat and a succession of workers on one queue of a private Redis."""

    def __init__(self, redis: RedisServer, worker_env: WorkerEnv, folder: Path) -> None:
        self.queue = f"killed-{uuid.uuid4().hex[:8]}"
        self.env = {**worker_env(redis.url), **FAST, "CELERY_QUEUE": self.queue}
        self.folder = folder
        self.workers = 0
        self.beat: subprocess.Popen[bytes] | None = None

    def start_beat(self) -> None:
        log = (self.folder / "beat.log").open("wb")
        self.beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--schedule",
                str(self.folder / "beat-schedule"),
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def stop_beat(self) -> None:
        if self.beat and self.beat.poll() is None:
            self.beat.terminate()
            try:
                self.beat.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.beat.kill()
                self.beat.wait(timeout=5)

    @contextmanager
    def worker(self, *, slow_s: float = 0) -> Iterator[DedicatedWorker]:
        self.workers += 1
        log_path = self.folder / f"worker-{self.workers}.log"
        worker = DedicatedWorker(self.queue, self.env, log_path, slow_s=slow_s)
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()


@pytest.fixture
def deployment(
    own_redis: RedisServer, worker_env: WorkerEnv, tmp_path: Path
) -> Iterator[Deployment]:
    from config.celery import app

    deployed = Deployment(own_redis, worker_env, tmp_path)
    saved_queue = app.conf.task_default_queue
    app.conf.task_default_queue = deployed.queue  # this process publishes there too
    deployed.start_beat()
    try:
        with celery_broker(own_redis.url):
            yield deployed
    finally:
        deployed.stop_beat()
        app.conf.task_default_queue = saved_queue


def _run(run_id: int) -> AnalysisRun:
    return AnalysisRun.objects.get(pk=run_id)


def _running_in(worker: DedicatedWorker, run_id: int, attempt: int) -> None:
    def in_analysis() -> bool:
        run = _run(run_id)
        return (
            run.status == AnalysisRun.Status.RUNNING
            and run.stage == "groups"
            and run.attempts == attempt
        )

    assert wait_for(in_analysis, timeout=90), (
        f"attempt {attempt} never ran ({_run(run_id).status}, {_run(run_id).error!r}):\n"
        f"{worker.log()[-3000:]}"
    )


def test_the_production_schedule_notices_a_dead_worker_within_about_two_minutes() -> None:
    interval, kwargs = _reaper()
    silence = float(kwargs["max_silence_s"])
    assert silence >= 2 * services.HEARTBEAT_S, "a live run would look dead between two beats"
    assert interval + silence <= DETECTION_BOUND_S, (
        f"a dead worker is noticed only after up to {interval + silence:.0f} s "
        f"(beat every {interval:.0f} s, silence {silence:.0f} s)"
    )


def test_a_killed_worker_is_detected_its_run_retried_once_then_failed_never_stuck(
    deployment: Deployment,
) -> None:
    space = populate(SpaceFactory.create(), participants=10, statements=4).space

    with deployment.worker(slow_s=60) as first:
        run = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL)
        assert run is not None
        _running_in(first, run.pk, attempt=1)
        # The heartbeat thread keeps a live run alive past the silence.
        beat_before = _run(run.pk).heartbeat_at
        assert wait_for(lambda: _run(run.pk).heartbeat_at != beat_before, timeout=10)
        first.kill()  # SIGKILL: no chance to record anything
    assert _run(run.pk).status == AnalysisRun.Status.RUNNING

    # A replacement worker (its supervisor restarts it); the beat's reaper
    # notices the silence and sends the run again, once.
    with deployment.worker(slow_s=60) as second:
        _running_in(second, run.pk, attempt=2)  # the claim clears the reaper's note
        second.kill()

    with deployment.worker() as third:
        assert wait_for(lambda: _run(run.pk).status == AnalysisRun.Status.FAILED, timeout=90), (
            f"still {_run(run.pk).status}:\n{third.log()[-3000:]}"
        )
        failed = _run(run.pk)
        assert "stopped responding in stage groups" in failed.error
        assert "attempt 2 of 2" in failed.error
        assert failed.finished_at is not None
        # The space is free: the next run starts and finishes on a healthy worker.
        again = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL)
        assert again is not None
        assert wait_for(
            lambda: _run(again.pk).status == AnalysisRun.Status.SUCCEEDED, timeout=120
        ), f"{_run(again.pk).error}\n{third.log()[-3000:]}"
