"""Celery tasks of notifications: take ids, re-read the database, call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notifications import services
from notifications.models import Kind

MAX_RETRIES = 5


def backoff_s(retries: int) -> int:
    """1, 2, 4, 8, 16 minutes: a mail server that is down for a while is waited for."""
    return int(min(3600, 60 * 2**retries))


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def deliver_email(self: object, email_id: int) -> bool:
    if services.email_send(email_id=email_id):
        return True
    retries = self.request.retries  # type: ignore[attr-defined]
    if retries >= MAX_RETRIES:
        services.email_give_up(email_id=email_id)
        return False
    # The row is pending again; this retry claims it afresh.
    raise self.retry(countdown=backoff_s(retries))  # type: ignore[attr-defined]


@shared_task(acks_late=True, ignore_result=True)
def notify_space_event(space_id: int, kind: str, occurrence: str) -> int:
    return len(
        services.notify_space_event(space_id=space_id, kind=Kind(kind), occurrence=occurrence)
    )


@shared_task(acks_late=True, ignore_result=True)
def notify_profile_published(profile_id: int) -> int:
    return len(services.notify_profile_published(profile_id=profile_id))


@shared_task(acks_late=True, ignore_result=True)
def check_space_schedules() -> dict[str, int]:
    """Beat, every few minutes: scheduled openings, closing reminders, scheduled closings."""
    return services.space_schedules_check()


@shared_task(acks_late=True, ignore_result=True)
def send_moderation_digests() -> int:
    """Beat, daily: the moderation digest of the day (once per moderator and day)."""
    return len(services.notify_moderation_digests(day=timezone.now().date()))


@shared_task(acks_late=True, ignore_result=True)
def sweep_emails() -> int:
    """Beat: e-mails whose task message never reached a worker."""
    return len(services.emails_sweep())
