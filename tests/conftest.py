"""Shared fixtures: a real Celery worker process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests import requirements
from tests.requirements import POLIS_DATA, REPO, SHARED

__all__ = ["POLIS_DATA", "REPO", "SHARED"]


def pytest_configure(config: pytest.Config) -> None:
    for name, description in requirements.MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow (.ci/run does; `make test` does not)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out tests marked slow unless --slow (or a -m naming them) asks for them.

    Run browser tests last: Playwright's sync API keeps an event loop running in
    the main thread from the first browser test on (see tests/e2e/conftest.py)."""
    if not config.getoption("--slow") and "slow" not in config.getoption("markexpr", ""):
        slow = [item for item in items if item.get_closest_marker("slow") is not None]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if item.get_closest_marker("slow") is None]
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(requirements.needs_chromium)
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, under POLYPHONY_REQUIRE_ALL=1, fail) a test whose `needs_*` marker is
    not met, before any of its fixtures start servers or browsers."""
    for name, check in requirements.CHECKS.items():
        if item.get_closest_marker(name) is not None:
            check()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Factories hash a password per user; the production hasher (PBKDF2, about
    # a million rounds) would dominate the run time of tests that make accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _database_url_for_test_db() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{db['NAME']}"


class CeleryWorker:
    """A `celery worker` subprocess consuming a queue private to this test session."""

    def __init__(self, queue: str, env: dict[str, str], log_path: Path) -> None:
        self.queue = queue
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
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
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[CeleryWorker]:
    """One real worker for the session, on a queue of its own (see `celery_worker`)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        database_url = _database_url_for_test_db()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_QUEUE": queue,
        "POLYPHONY_VAR_DIR": str(settings.VAR_DIR),
    }
    worker = CeleryWorker(queue, env, settings.VAR_DIR / f"worker-{queue}.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process: CeleryWorker) -> Iterator[CeleryWorker]:
    """The session's real worker; tests using it need `transactional_db`.

    Only while a test uses it do the tasks this process sends go to the worker's
    queue. Had the routing stayed for the rest of the session, a later test that
    requests a run and executes it itself would race the worker for it (and find
    the run claimed, still "running").
    """
    from config.celery import app

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = celery_worker_process.queue
    try:
        yield celery_worker_process
    finally:
        app.conf.task_default_queue = previous_queue


def wait_for(predicate: object, *, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll `predicate()` until true or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(interval)
    return False
