"""The real path: a task message through the broker to a Celery worker, which sends the e-mails."""

from __future__ import annotations

import os

import pytest

from elicitation.models import Space
from elicitation.services import space_set_phase
from notifications.models import Kind, SentEmail
from tests.conftest import CeleryWorker, wait_for
from tests.factories import SpaceFactory
from tests.notifications.conftest import People

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_sends_the_emails_of_a_space_that_opened(
    people: People, celery_worker: CeleryWorker
) -> None:
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT)
    space_set_phase(space=space, phase=Space.Phase.OPEN, actor=people.facilitator)  # commits

    def all_sent() -> bool:
        sent = SentEmail.objects.filter(kind=Kind.SPACE_OPENED, status=SentEmail.Status.SENT)
        return sent.count() == len(people.reading_members)

    assert wait_for(all_sent, timeout=90), celery_worker.log()[-3000:]
    assert set(SentEmail.objects.values_list("email", flat=True)) == people.reading_members
    if not (os.environ.get("EMAIL_URL") or os.environ.get("EMAIL_HOST")):
        # The worker's console backend: the e-mails are in its log.
        log = celery_worker.log()
        assert all(f"To: {address}" in log for address in people.reading_members)
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in log
