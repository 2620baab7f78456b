"""The web service as deployed (gunicorn, DEBUG off, collected static files) for browser
gates, plus what those gates leave behind: screenshots and axe-core results.

Screenshots go to var/artifacts/<gate>/ (git-ignored), one per page and width, so
that a person can look at what the gate saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import CeleryWorker, _database_url_for_test_db
from tests.e2e.axe import axe_violations, describe
from tests.servers import WebServer, collect_static, production_env

ARTIFACTS = settings.VAR_DIR / "artifacts"
WIDTHS = (1280, 390)


@pytest.fixture
def deployed(
    celery_worker: CeleryWorker, django_db_blocker: Any, transactional_db: None
) -> Iterator[WebServer]:
    """gunicorn serving the test database with the production settings.

    Analysis runs it queues go to the session's Celery worker (same queue, same
    broker: Redis under REDIS_URL, else the filesystem broker in var/).
    """
    with django_db_blocker.unblock():
        database_url = _database_url_for_test_db()
    static_root = settings.VAR_DIR / "gate-static"
    env = production_env(
        database_url=database_url,
        var_dir=settings.VAR_DIR,
        STATIC_ROOT=str(static_root),
        CELERY_QUEUE=celery_worker.queue,
        # The journeys sign up several people from one address within a minute.
        API_THROTTLE_ANON="1000/minute",
    )
    collect_static(static_root, env)
    server = WebServer(env, settings.VAR_DIR / "gate-gunicorn.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Recorder:
    """Screenshots at each width and axe-core on every page a gate visits."""

    folder: Path
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overflowing: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)
    counter: int = 0

    def page(self, page: Any, name: str, *, widths: tuple[int, ...] = WIDTHS) -> None:
        """Record the page as it is now: at each width, axe-core and a full-page screenshot.

        axe runs at every width because a narrow screen changes what it finds (a
        table that scrolls sideways must be reachable with the keyboard).
        """
        self.counter += 1
        stem = f"{self.counter:02d}-{_slug(name)}"
        original = page.viewport_size
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            found = axe_violations(page)
            if found:
                self.violations[f"{name} at {width} px ({page.url})"] = found
            # Nothing but a table region may scroll sideways (WCAG 1.4.10, reflow).
            wide = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if wide > 0:
                self.overflowing.append(f"{name} at {width} px: {wide} px too wide ({page.url})")
            path = self.folder / f"{stem}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            self.shots.append(path)
        if original:
            page.set_viewport_size(original)

    def assert_accessible(self) -> None:
        report = "\n".join(
            f"{where}:\n{describe(found)}" for where, found in self.violations.items()
        )
        (self.folder / "axe.txt").write_text(report or "no serious or critical violation\n")
        assert not self.violations, f"axe-core, serious or critical:\n{report}"
        assert not self.overflowing, "pages wider than the screen:\n" + "\n".join(self.overflowing)


def recorder(gate: str) -> Recorder:
    folder = ARTIFACTS / gate
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Recorder(folder)
