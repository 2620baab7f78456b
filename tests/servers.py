"""Real server processes for gate and fault tests: the web service as deployed, a private
PostgreSQL cluster. Each listens on a free loopback port of its own; nothing here
touches the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.redis_server import free_port
from tests.requirements import REPO, require_postgres_server


def production_env(*, database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The production settings (DEBUG off) over plain HTTP on loopback."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "gate-tests-" + "k" * 48,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "WEB_CONCURRENCY": "2",
        "POLYPHONY_VAR_DIR": str(var_dir),
        **extra,
    }


# Collected once per test session (the files may have changed since the last one).
_collected: set[Path] = set()


def collect_static(static_root: Path, env: dict[str, str]) -> None:
    """What the Dockerfile does: the hashed, compressed files whitenoise serves with DEBUG off.

    It must run with the production settings: with DEBUG on, collectstatic uses the
    plain storage and writes no manifest, and every page then fails to render.
    """
    if static_root in _collected:
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env={**env, "STATIC_ROOT": str(static_root)},
        check=True,
        timeout=120,
    )
    _collected.add(static_root)


def http_status(port: int, path: str, *, timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class WebServer:
    """gunicorn with config/gunicorn.conf.py (gevent workers), as in the Dockerfile."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--config",
                "config/gunicorn.conf.py",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                if http_status(self.port, "/healthz", timeout=2) in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on {self.port}:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # SIGINT: gunicorn's quick shutdown. SIGTERM would wait up to 30 s for
            # the keep-alive connections browsers and clients still hold.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class PostgresCluster:
    """A PostgreSQL cluster of one test: initdb in a temporary folder, its own port.

    Stopping and starting it affects nobody else; the machine's PostgreSQL on
    5432 is never touched.
    """

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = require_postgres_server()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="polyphony-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        # initdb and the server refuse to run as root: hand the folder to an
        # unprivileged user and run the binaries as that user.
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if shutil.which("runuser") else ""
            if not user:
                raise RuntimeError("running as root needs runuser and a postgres user")
            shutil.chown(self.root, user, user)
            self.root.chmod(0o700)
            self._as_user = ["runuser", "-u", user, "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self._as_user, *args],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def init(self) -> None:
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=60 -c shared_buffers=32MB"
        )
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
