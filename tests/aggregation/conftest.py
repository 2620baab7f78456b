"""Fixtures of the aggregation tests: people with roles, a populated space, a private broker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The test data makes accounts; real password hashing would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fewer_bootstrap_resamples(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 200 resamples refit the bridging model 200 times (about 2 s a run even
    # on tiny spaces); 20 keep every code path. Tests marked
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
    """Request and execute a run in this process; the run, refreshed."""
    run = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL)
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
    saved = (conf.broker_url, conf.broker_transport_options)
    conf.broker_url = url
    # Fail fast, as production settings do for Redis.
    conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 2}
    reset_pools()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options = saved
        reset_pools()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A redis-server of this test alone on a free loopback port (never the shared one)."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("These tests need redis-server on PATH (apt-get install redis-server).")
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"Our redis-server did not start on port {self.port}.")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(free_port(), tmp_path)
    redis.start()
    yield redis
    redis.stop()


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
