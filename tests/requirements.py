"""What a test needs beyond Python and the project, and what happens when it is missing.

A clone of the project alone, on a machine with only Python, runs `make test`
green: a test needing Chromium, a `redis-server` binary, PostgreSQL, a real
Redis, GNU gettext, the shared Pol.is data (../shared/data/polis) or axe-core (`npm ci`)
skips there, naming what is missing and how to get it.

CI sets POLYPHONY_REQUIRE_ALL=1, which turns each of those skips into a
failure: a green CI run means every test ran, none skipped for want of a tool.

Use the markers on a test or module (`pytestmark = [needs_chromium]`; the
checks run in tests/conftest.py before the test's fixtures), or call
`require_*()` inside a fixture or test where the need is only known there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from config.env import env_bool

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
POLIS_DATA = SHARED / "data" / "polis"
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"

REQUIRE_ALL_VARIABLE = "POLYPHONY_REQUIRE_ALL"


def require_all() -> bool:
    """True when a missing requirement must fail the test (CI), false on a laptop."""
    return env_bool(REQUIRE_ALL_VARIABLE, False)


def missing(reason: str) -> NoReturn:
    """Skip the current test for `reason`, or fail it when every test must run."""
    if require_all():
        pytest.fail(f"{reason} ({REQUIRE_ALL_VARIABLE}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Debian's Chromium: $POLYPHONY_CHROMIUM if set, else `chromium` on PATH."""
    configured = os.environ.get("POLYPHONY_CHROMIUM", "").strip()
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        missing(
            "needs Chromium: `chromium` is not on PATH "
            "(apt-get install chromium, or set POLYPHONY_CHROMIUM to its path)"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing("needs the playwright package (pip install -e '.[dev]')")
    assert path is not None
    return path


def require_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        missing(
            "needs a redis-server binary on PATH to start a private Redis "
            "(apt-get install redis-server)"
        )
    assert path is not None
    return path


def require_postgres_server() -> tuple[str, str]:
    """`initdb` and `pg_ctl` for a private PostgreSQL cluster: on PATH or Debian's folder."""
    found: dict[str, str] = {}
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for name in ("initdb", "pg_ctl"):
        path = shutil.which(name) or next(
            (str(folder / name) for folder in candidates if (folder / name).exists()), None
        )
        if path is None:
            missing(
                f"needs PostgreSQL's server binaries ({name}) to start a private cluster "
                "(apt-get install postgresql)"
            )
        assert path is not None
        found[name] = path
    return found["initdb"], found["pg_ctl"]


def require_shared_data(path: Path = POLIS_DATA) -> Path:
    """The shared Pol.is data (or one conversation in it); never copied into the project."""
    if not path.exists():
        missing(
            f"needs the shared Pol.is data at {path}, which lives beside the project "
            "(../shared/data/polis) and is not part of a clone"
        )
    return path


def polis_folder(name: str) -> Path:
    """One real Pol.is conversation from the shared data, or skip/fail when it is absent."""
    return require_shared_data(POLIS_DATA / name)


def require_axe() -> Path:
    if not AXE_SCRIPT.exists():
        missing(
            f"needs axe-core at {AXE_SCRIPT.relative_to(REPO)}: run `npm ci` in the project root"
        )
    return AXE_SCRIPT


def require_gettext() -> str:
    """GNU gettext's xgettext, which Django's makemessages runs to extract strings."""
    path = shutil.which("xgettext")
    if path is None or shutil.which("msguniq") is None:
        missing("needs GNU gettext to extract the strings to translate (apt-get install gettext)")
    assert path is not None
    return path


def require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        missing(
            "needs PostgreSQL: set DATABASE_URL=postgresql://... "
            f"(the test database is {connection.vendor})"
        )


def require_redis_url() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        missing("needs a real Redis: set REDIS_URL=redis://...")
    return url


needs_chromium = pytest.mark.needs_chromium
needs_redis_server = pytest.mark.needs_redis_server
needs_postgres_server = pytest.mark.needs_postgres_server
needs_shared_data = pytest.mark.needs_shared_data
needs_axe = pytest.mark.needs_axe
needs_postgresql = pytest.mark.needs_postgresql
needs_redis_url = pytest.mark.needs_redis_url
needs_gettext = pytest.mark.needs_gettext

# marker name -> the check that runs before the test (tests/conftest.py)
CHECKS: dict[str, Callable[[], Any]] = {
    "needs_chromium": require_chromium,
    "needs_redis_server": require_redis_server,
    "needs_postgres_server": require_postgres_server,
    "needs_shared_data": require_shared_data,
    "needs_axe": require_axe,
    "needs_postgresql": require_postgresql,
    "needs_redis_url": require_redis_url,
    "needs_gettext": require_gettext,
}

MARKERS = {
    "needs_chromium": "needs Debian's Chromium and playwright (skips without, fails in CI)",
    "needs_redis_server": "starts a private redis-server (skips without the binary, fails in CI)",
    "needs_postgres_server": "starts a private PostgreSQL cluster (skips without initdb/pg_ctl)",
    "needs_shared_data": "reads ../shared/data/polis (skips without, fails in CI)",
    "needs_axe": "runs axe-core from node_modules (skips without `npm ci`, fails in CI)",
    "needs_postgresql": "runs on PostgreSQL only (skips on SQLite, fails in CI)",
    "needs_redis_url": "needs REDIS_URL pointing at a real Redis (skips without, fails in CI)",
    "needs_gettext": "runs makemessages, which needs GNU gettext (skips without, fails in CI)",
}
