"""A thread that tells the database a long task is alive, for the reapers of stale work."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from django.db import connection

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
