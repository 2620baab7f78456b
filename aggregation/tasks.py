"""Celery tasks of the aggregation app: take ids, re-read the database, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from aggregation import services

logger = logging.getLogger(__name__)

# The run is the heaviest task; its limits are stated here rather than left
# implicit (the soft one lets run_execute record why it stopped).
RUN_SOFT_LIMIT_S = settings.CELERY_TASK_SOFT_TIME_LIMIT
RUN_HARD_LIMIT_S = settings.CELERY_TASK_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=RUN_SOFT_LIMIT_S,
    time_limit=RUN_HARD_LIMIT_S,
    autoretry_for=services.TRANSIENT_DB_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def run_analysis(self: object, run_id: int) -> None:
    """Execute one analysis run; a duplicate delivery finds it claimed and does nothing."""
    try:
        services.run_execute(run_id=run_id)
    except services.TRANSIENT_DB_ERRORS as exc:
        # Put the run back so the retry can claim it again; if the database is
        # still unreachable this fails too and the stale-run reaper decides.
        try:
            services.run_release(run_id=run_id, reason=f"Retrying after a database error: {exc}")
        except services.TRANSIENT_DB_ERRORS:
            logger.warning("Could not release run %s after a database error", run_id)
        raise


@shared_task(acks_late=True, ignore_result=True)
def reap_stale_runs(max_silence_s: int = services.STALE_AFTER_S) -> int:
    """Retry once, then fail, runs whose worker stopped sending heartbeats (killed mid-run)."""
    return services.run_reap_stale(max_silence_s=max_silence_s)


@shared_task(acks_late=True, ignore_result=True)
def request_auto_runs() -> int:
    """Beat, every minute: re-send lost queued runs, then request debounced automatic runs."""
    resent = services.runs_requeue_lost()
    created = services.runs_request_auto()
    if resent or created:
        logger.info("Analysis beat: re-sent %d queued runs, requested %d", resent, len(created))
    return len(created)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError, RuntimeError),
    retry_backoff=10,
    retry_backoff_max=300,
    max_retries=3,
)
def summarise_run(run_id: int) -> bool:
    """The optional language-model summary of a run (LLM_BASE_URL); idempotent."""
    return services.run_summarise_abstractive(run_id=run_id)
