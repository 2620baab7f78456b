"""Bounded loopback traffic for fault tests: a few clients, each for a few seconds.

Every request is recorded with when it was sent and what came back (a status
code, or the connection error), so a test can say what happened before, during
and after an outage. Traffic goes only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    sent_at: float  # seconds since the traffic started
    took: float
    kind: str  # "page", "api", "vote", ...
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    body: bytes
    error: str = ""


@dataclass
class Traffic:
    port: int
    answers: list[Answer] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> Answer:
        sent = self.now()
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            payload = None if body is None else json.dumps(body).encode()
            conn.request(
                method, path, payload, {"Content-Type": "application/json", **(headers or {})}
            )
            response = conn.getresponse()
            answer = Answer(sent, self.now() - sent, kind, response.status, response.read())
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            answer = Answer(sent, self.now() - sent, kind, 0, b"", f"{type(exc).__name__}: {exc}")
        finally:
            if own:
                conn.close()
        with self._lock:
            self.answers.append(answer)
        return answer

    def join(self, space_id: int, count: int) -> list[str]:
        """`count` new anonymous participants of the space; their tokens."""
        tokens = []
        for _ in range(count):
            joined = self.request("join", "POST", f"/api/v1/spaces/{space_id}/participants/", {})
            assert joined.status == 201, joined.body
            tokens.append(json.loads(joined.body)["token"])
        return tokens

    def run(self, clients: list[Callable[[Traffic, float], None]], seconds: float) -> None:
        """Run each client function in its own thread until `seconds` have passed."""
        deadline = self.now() + seconds
        threads = [threading.Thread(target=client, args=(self, deadline)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)

    def table(self) -> str:
        """Answers per kind and status, for the test's output and the README."""
        counts: dict[tuple[str, int], int] = {}
        for answer in self.answers:
            key = (answer.kind, answer.status)
            counts[key] = counts.get(key, 0) + 1
        return ", ".join(
            f"{kind} {status or 'no answer'}: {n}" for (kind, status), n in sorted(counts.items())
        )
