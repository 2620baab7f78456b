from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aggregation.models import AnalysisRun
from aggregation.tasks import reap_stale_runs
from tests.conftest import CeleryWorker, wait_for
from tests.factories import SpaceFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_runs_a_task_that_writes_to_the_database(celery_worker: CeleryWorker) -> None:
    space = SpaceFactory.create()
    long_ago = timezone.now() - timedelta(hours=2)
    # On its last attempt: the reaper fails it rather than retrying.
    run = AnalysisRun.objects.create(
        space=space,
        status=AnalysisRun.Status.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=2,
    )

    reap_stale_runs.delay(max_silence_s=60)

    def reaped() -> bool:
        run.refresh_from_db()
        return run.status == AnalysisRun.Status.FAILED

    assert wait_for(reaped, timeout=60), celery_worker.log()[-3000:]
    assert "stopped responding" in run.error
