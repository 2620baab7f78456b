"""Celery tasks of the elicitation app: take ids, re-read the database, call a service."""

from __future__ import annotations

from celery import shared_task

from elicitation import services


@shared_task(acks_late=True, ignore_result=True, max_retries=3, autoretry_for=(OSError,))
def statements_embed(space_id: int) -> int:
    """Compute the missing sentence embeddings of a space's statements (idempotent)."""
    return services.statements_embed_missing(space_id=space_id)
