from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis
from django.test import Client

from tests.conftest import REPO
from tests.requirements import needs_redis_url

pytestmark = pytest.mark.django_db


def test_readyz_reports_database_and_broker(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readyz_reports_an_unreachable_broker_as_degraded_not_failing(
    client: Client, settings: object
) -> None:
    # A port nothing listens on stands in for a stopped Redis.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
    # Liveness checks nothing outside the process.
    live = client.get("/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


def test_readyz_fails_without_the_database(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    from config import views

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "error: OperationalError"
    assert client.get("/healthz").status_code == 200


def test_home_page_lists_public_communities_only(client: Client) -> None:
    from tests.factories import CommunityFactory

    CommunityFactory.create(name="Open Town")
    CommunityFactory.create(name="Secret Club", visibility="private")
    response = client.get("/")
    assert response.status_code == 200
    assert b"Open Town" in response.content
    assert b"Secret Club" not in response.content
    assert b'href="#main"' in response.content  # skip link
    assert b"htmx" in response.content


def test_the_home_page_counts_a_communitys_spaces_without_its_drafts(client: Client) -> None:
    from tests.factories import CommunityFactory, SpaceFactory

    community = CommunityFactory.create(name="Open Town")
    SpaceFactory.create(community=community, phase="open")
    SpaceFactory.create(community=community, phase="closed")
    SpaceFactory.create(community=community, phase="draft")
    response = client.get("/")
    assert response.status_code == 200
    assert b"2 spaces" in response.content
    assert b"3 spaces" not in response.content


def _run_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests only; a deployment never has it.
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bad_boolean_stops_start_up_naming_the_variable() -> None:
    result = _run_check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_without_secret_key_refuses_to_start() -> None:
    result = _run_check({"DEBUG": "false", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _run_check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-key",
            "ALLOWED_HOSTS": "polyphony.example.org",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_redis_url
def test_redis_url_is_used_by_celery_when_set() -> None:
    from config.celery import app

    assert app.conf.broker_url.startswith("redis://")
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
