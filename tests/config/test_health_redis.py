from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_readyz_says_degraded_while_redis_is_down_and_ok_when_it_returns(
    client: Client, settings: object, private_redis: RedisServer
) -> None:
    settings.CELERY_BROKER_URL = private_redis.url  # type: ignore[attr-defined]
    assert client.get("/readyz").status_code == 200

    private_redis.stop()
    down = client.get("/readyz")
    # Voting keeps working without Redis: an orchestrator must keep the instance.
    assert down.status_code == 200
    assert down.json()["status"] == "degraded"
    assert down.json()["broker"] == "error: ConnectionError"
    assert down.json()["database"] == "ok"
    assert client.get("/healthz").status_code == 200

    private_redis.start()
    back = client.get("/readyz")
    assert back.status_code == 200
    assert back.json() == {"status": "ok", "database": "ok", "broker": "ok"}
