"""Celery tasks of the elicitation app: take ids, re-read the database, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from elicitation import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, max_retries=3, autoretry_for=(OSError,))
def statements_embed(space_id: int) -> int:
    """Compute the missing sentence embeddings of a space's statements (idempotent)."""
    return services.statements_embed_missing(space_id=space_id)


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def polis_import_run(self: object, job_id: int) -> bool:
    """Parse and import one uploaded Pol.is export; a duplicate delivery finds it claimed."""
    from elicitation.polis import jobs

    try:
        return jobs.polis_import_execute(job_id=job_id)
    except jobs.TRANSIENT_DB_ERRORS as exc:
        # Back to the queue so the retry can claim it; if the database is still
        # unreachable the reaper decides.
        try:
            jobs.polis_import_release(
                job_id=job_id, reason=f"Retrying after a database error: {exc}"
            )
        except jobs.TRANSIENT_DB_ERRORS:
            logger.warning("Could not release Pol.is import %s after a database error", job_id)
        raise


@shared_task(acks_late=True, ignore_result=True)
def polis_imports_housekeeping() -> int:
    """Beat, every 30 s: retry or fail imports of dead workers, re-send lost ones, clean up."""
    from elicitation.polis import jobs

    reaped = jobs.polis_import_reap_stale()
    resent = jobs.polis_imports_requeue_lost()
    removed = jobs.polis_imports_clean_up()
    if reaped or resent or removed:
        logger.info(
            "Pol.is imports: %d reaped, %d re-sent, %d folders removed", reaped, resent, removed
        )
    return reaped + resent
