"""The web service as deployed, for tests: gunicorn with config/gunicorn.conf.py."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.conftest import REPO, _database_url_for_test_db, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_request(
    port: int,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own, closed afterwards: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = body if isinstance(body, bytes) or body is None else json.dumps(body)
        conn.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@contextmanager
def gunicorn_server(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[int]:
    """gunicorn serving the test database with production settings; yields its port.

    Callers need a committed test database (`django_db(transaction=True)`).
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "POLYPHONY_VAR_DIR": str(settings.VAR_DIR),
        # Pages use the manifest of collected static files when DEBUG is off.
        "STATIC_ROOT": str(tmp_path / "static"),
        **(extra_env or {}),
    }
    env.pop("DB_CONN_MAX_AGE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    log_path = settings.VAR_DIR / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--config",
                "config/gunicorn.conf.py",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def answers() -> bool:
            try:
                return http_request(port, "GET", "/healthz")[0] == 200
            except OSError:
                return False

        try:
            assert wait_for(answers, timeout=60), log_path.read_text()
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)
