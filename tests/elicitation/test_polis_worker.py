"""Pol.is uploads imported by real Celery worker processes, one of them killed mid-import."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from communities.models import Community
from communities.roles import Role
from elicitation.models import PolisImport, Space, Vote
from elicitation.polis import jobs
from tests.aggregation.conftest import WorkerEnv
from tests.aggregation.test_worker import dedicated_worker
from tests.conftest import CeleryWorker, wait_for
from tests.elicitation.polis_files import post_good_files
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _upload(community: Community) -> tuple[Client, PolisImport]:
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    client = Client()
    client.force_login(user)
    response = post_good_files(client, community)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client, PolisImport.objects.get(requested_by=user)


def _status(job: PolisImport) -> str:
    return PolisImport.objects.get(pk=job.pk).status


def test_an_upload_is_imported_by_the_real_worker_and_its_page_links_the_space(
    celery_worker: CeleryWorker, settings: Any
) -> None:
    # The folder the session's worker process sees (the same settings, from its environment).
    settings.POLIS_UPLOAD_DIR = Path(
        os.environ.get("POLIS_UPLOAD_DIR") or django_settings.VAR_DIR / "uploads" / "polis"
    )
    community = CommunityFactory.create()
    client, job = _upload(community)

    assert wait_for(lambda: _status(job) == PolisImport.Status.DONE, timeout=120), (
        f"job is {_status(job)}; worker log:\n{celery_worker.log()[-4000:]}"
    )
    space = Space.objects.get(community=community)
    assert Vote.objects.filter(statement__space=space).count() == 4
    assert not jobs.upload_folder(job.pk).exists()
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'href="{space.get_absolute_url()}"' in page


def test_a_worker_killed_mid_import_leaves_the_job_retried_and_then_done_never_stuck(
    own_redis: RedisServer, worker_env: WorkerEnv, tmp_path: Path, settings: Any
) -> None:
    settings.POLIS_UPLOAD_DIR = tmp_path / "uploads"

    def env(broker_url: str) -> dict[str, str]:
        return {**worker_env(broker_url), "POLIS_UPLOAD_DIR": str(settings.POLIS_UPLOAD_DIR)}

    community = CommunityFactory.create()
    with dedicated_worker(own_redis, env, tmp_path, slow_s=60) as worker:
        _client, job = _upload(community)
        assert wait_for(lambda: _status(job) == PolisImport.Status.PARSING, timeout=90), (
            f"the import never started; worker log:\n{worker.log()[-4000:]}"
        )
        worker.kill()

    stuck = PolisImport.objects.get(pk=job.pk)
    assert stuck.status == PolisImport.Status.PARSING
    assert stuck.attempts == 1
    assert not Space.objects.exists()
    time.sleep(2.5)

    with dedicated_worker(own_redis, env, tmp_path) as worker:
        # What the housekeeping beat does every 30 s (with a 90 s patience).
        assert jobs.polis_import_reap_stale(max_silence_s=2) == 1
        assert "trying again (attempt 2 of 2)" in PolisImport.objects.get(pk=job.pk).error
        assert wait_for(lambda: _status(job) == PolisImport.Status.DONE, timeout=90), (
            f"job is {_status(job)}; worker log:\n{worker.log()[-4000:]}"
        )
    done = PolisImport.objects.get(pk=job.pk)
    assert done.attempts == 2
    assert Space.objects.filter(community=community).count() == 1
    assert not jobs.upload_folder(job.pk).exists()
