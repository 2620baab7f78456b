"""Celery task of webhooks: one delivery, retried with exponential backoff."""

from __future__ import annotations

from celery import shared_task

from webhooks import services

MAX_RETRIES = 6


def backoff_s(retries: int) -> int:
    """30 s, 1 min, 2 min, ... capped at an hour."""
    return int(min(3600, 30 * 2**retries))


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def deliver_webhook(self: object, delivery_id: int) -> bool:
    if services.webhook_delivery_attempt(delivery_id=delivery_id):
        return True
    retries = self.request.retries  # type: ignore[attr-defined]
    if retries >= MAX_RETRIES:
        services.webhook_delivery_give_up(delivery_id=delivery_id)
        return False
    raise self.retry(countdown=backoff_s(retries))  # type: ignore[attr-defined]
