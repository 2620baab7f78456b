"""Celery tasks of the aggregation app: take ids, re-read the database, call a service."""

from __future__ import annotations

from celery import shared_task

from aggregation import services


@shared_task(acks_late=True, ignore_result=True)
def reap_stale_runs(max_silence_s: int = 900) -> int:
    """Fail runs whose worker stopped sending heartbeats (killed mid-run)."""
    return services.run_reap_stale(max_silence_s=max_silence_s)
