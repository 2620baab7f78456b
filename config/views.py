"""Site-wide views: the home page and the health endpoint."""

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
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value in ("ok", "unchecked") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
