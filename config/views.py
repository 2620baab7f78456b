"""Site-wide views: the home page, liveness (/healthz) and readiness (/readyz)."""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from communities.models import Community
from elicitation.models import Space

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    communities = (
        Community.objects.visible_to(request.user)
        .order_by("name")
        .prefetch_related(
            Prefetch("spaces", queryset=Space.objects.without_drafts(), to_attr="listed_spaces")
        )
    )
    return render(request, "home.html", {"communities": communities})


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the body says which
        logger.warning("health: database check failed: %s", exc)
        return f"error: {type(exc).__name__}"
    return "ok"


def _broker_status() -> str:
    url: str = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            client.ping()
        except redis.RedisError as exc:
            logger.warning("health: broker check failed: %s", exc)
            return f"error: {type(exc).__name__}"
        return "ok"
    if url == "filesystem://":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])  # type: ignore[arg-type]
        if folder.is_dir() and folder.stat().st_mode:
            return "ok"
        return "error: broker folder missing"
    return "unchecked"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers requests. Checks nothing outside it.

    An orchestrator restarts an instance that fails this, so it must not fail
    for a dependency's outage: restarting healthy web processes while Redis
    or PostgreSQL is down helps nobody (and voting keeps working without Redis).
    """
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: whether this instance can serve, and what is degraded.

    The database is required (503 without it). The broker is not: without it
    votes and pages work, and runs wait in the database until the beat task
    re-sends them, so a broker outage answers 200 with status "degraded"
    and names the broker, and a load balancer keeps the instance in.
    """
    checks = {"database": _database_status(), "broker": _broker_status()}
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif checks["broker"] not in ("ok", "unchecked"):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, **checks}, status=code)
