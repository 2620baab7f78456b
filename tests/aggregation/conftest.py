"""Fixtures of the aggregation tests: people with roles, a populated space, a private broker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from aggregation import analysis, services
from aggregation.models import AnalysisRun, ValueProfile
from communities.roles import Role
from elicitation.models import Space
from tests.aggregation.data import Deliberation, populate
from tests.factories import MembershipFactory, SpaceFactory, UserFactory
from tests.redis_server import RedisServer


@pytest.fixture(autouse=True)
def _fewer_bootstrap_resamples(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 resamples keep every code path at a tenth of the bootstrap's time
    # (on tiny spaces the bridging refits run 40 sweeps). Tests marked
    # `full_bootstrap` run the production setting.
    if request.node.get_closest_marker("full_bootstrap") is None:
        monkeypatch.setattr(analysis, "BOOTSTRAP_RESAMPLES", 20)


def member_of(space: Space, role: Role = Role.MEMBER) -> User:
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=space.community, role=role)
    return user


@pytest.fixture
def deliberation(db: None) -> Deliberation:
    return populate(SpaceFactory.create())


def analysed(space: Space) -> AnalysisRun:
    """Request and execute a run in this process; the run, refreshed.

    Not sent to the broker: in a transactional test a live worker of the
    session (tests/conftest.py) would otherwise race this process for it.
    """
    run = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL, enqueue=False)
    assert run is not None
    services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def published(space: Space, by: User | None = None) -> ValueProfile:
    """Analyse the space and publish the draft as its next version."""
    analysed(space)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    return services.profile_publish(profile=draft, actor=by or member_of(space, Role.FACILITATOR))


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker for the duration."""
    from config.celery import app

    def reset_pools() -> None:
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    conf: Any = app.conf
    saved = (conf.broker_url, conf.broker_transport, conf.broker_transport_options)
    conf.broker_url = url
    conf.broker_transport = None  # the URL's scheme decides
    # Fail fast, as production settings do for Redis.
    conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 2}
    reset_pools()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport, conf.broker_transport_options = saved
        reset_pools()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone on a free loopback port (never the shared one)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


WorkerEnv = Callable[[str], dict[str, str]]


@pytest.fixture
def worker_env() -> WorkerEnv:
    """Environment for a dedicated worker on `broker_url`, using the test database."""
    from tests.conftest import _database_url_for_test_db

    def make(broker_url: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": _database_url_for_test_db(),
            "DB_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "POLYPHONY_VAR_DIR": str(settings.VAR_DIR),
        }

    return make
