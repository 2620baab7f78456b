"""Background work recorded in the database (analysis runs, Pol.is imports): a thread that
tells the database a long task is alive, for the reapers of stale work, and which queued
work no worker picked up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Calls `beat` every `interval_s` seconds until the `with` block ends.

    A single stage of a task can outlast a reaper's patience; beating from a
    thread keeps a live worker visibly alive. The thread has its own database
    connection (Django's are per thread), closed when it stops. A failed beat
    (a locked SQLite database, a database restart) is logged and the next one
    tried: a missed beat at worst gets live work retried.
    """

    def __init__(self, name: str, beat: Callable[[], object], interval_s: float) -> None:
        super().__init__(name=name, daemon=True)
        self.beat = beat
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval_s):
                try:
                    self.beat()
                except Exception:
                    logger.warning("%s: a heartbeat failed", self.name, exc_info=True)
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopped.set()


def lost_in_queue(
    queued: QuerySet[Any], *, older_than: timedelta, resend_after: timedelta
) -> list[int]:
    """Ids of `queued` work (a model with created_at and enqueued_at) to send again.

    Work that never reached the broker (it was down) after `older_than`; work
    that did but still waits (a busy worker, or a broker that lost its queue
    on restart) only after `resend_after`, so a long queue is not flooded with
    copies. Sending twice is harmless where the task claims its work with a
    conditional update.
    """
    now = timezone.now()
    never_sent = Q(enqueued_at__isnull=True, created_at__lt=now - older_than)
    waiting_long = Q(enqueued_at__lt=now - resend_after)
    return list(queued.filter(never_sent | waiting_long).values_list("id", flat=True))
