"""The vote API's fast lane: token holders' votes answered in front of Django's stack.

Votes are the hot path: a participant answers a card every second or two, and a
busy space has hundreds of participants at once. benchmarks/votes_load.py showed
that through gunicorn, Django's middleware and DRF a vote cost about 3.7 ms of
application CPU and 1.6 ms of PostgreSQL CPU, while the vote's own work (parse
the body, verify the token, count the throttle, one SQL statement, render JSON)
is a small part of that: the layers around it capped two cores near 450 votes/s.

`VoteLane` wraps the WSGI application and answers the one request shape that
dominates that traffic: `POST /api/v1/spaces/<id>/votes/` from an anonymous
participant holding an `X-Participant-Token`, with no cookie, no query string
and a plain JSON body `{"statement": <int>, "value": 1|-1|0}`. It applies the
same rules as the API view (host allowed, HTTPS redirect, the "space_votes"
throttle, the token signed for this space, `services.votes_cast_for_anon_tokens`
deciding whether the vote may be cast) and returns the same status, body and
headers. Votes arriving together are written together (`VoteBatcher`).
Whatever it does not answer goes to Django untouched (the body is put back),
and the full path gives the precise error: a throttled client gets DRF's 429,
an unknown statement DRF's 400, and so on. It is off unless the database is
PostgreSQL (only there is the vote one statement).

What it does not do that a Django request would: fire `request_started` /
`request_finished` (so it gives a pooled connection back itself, and without
the pool a thread serving only lane requests keeps its database connection
past CONN_MAX_AGE; any other request on the thread recycles it), and skips the per-request health check (a broken connection makes the vote
statement fail, and the request then takes the full path, which reconnects).
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http.request import split_domain_port, validate_host
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from config.parsers import loads_bounded
from config.security import static_headers
from elicitation import services
from elicitation.identity import TOKEN_META, unsign_for_space_id
from elicitation.throttles import ParticipantFixedWindowThrottle

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# A vote body is about 30 bytes; anything much larger is not a plain vote.
MAX_BODY = 1024
# Statement numbers are PositiveIntegerFields; a larger number is not a statement.
MAX_STATEMENT_NUMBER = 2**31 - 1
# Votes written in one statement at most.
MAX_BATCH = 64
VOTE_SCOPE = "space_votes"
_REASONS = {200: "200 OK", 201: "201 Created"}


def plain_vote(data: Any) -> tuple[int, int] | None:
    """(statement number, value) of a body that is a plain vote, else None.

    A plain vote: a JSON object without an xid, a JSON integer statement
    number and a vote value. Stricter than the API's InputSerializer (which
    also takes "3" or 1.0): what fails here takes the full path, which accepts
    or refuses it.
    """
    if not isinstance(data, dict) or "xid" in data:
        return None
    statement_number, value = data.get("statement"), data.get("value")
    if (
        type(statement_number) is int
        and 0 <= statement_number <= MAX_STATEMENT_NUMBER
        and type(value) is int
        and value in (1, -1, 0)
    ):
        return statement_number, value
    return None


@dataclass(frozen=True)
class LaneVote:
    """A vote the lane may cast, with the signed token the throttle counts it under."""

    signed_token: str
    vote: services.TokenVoteInput


class _Waiting:
    """One request's vote in the batcher's queue."""

    __slots__ = ("done", "lead", "result", "vote")

    def __init__(self, vote: LaneVote) -> None:
        self.vote = vote
        self.done = threading.Event()
        self.lead = False
        self.result: services.TokenVote | None = None


class VoteBatcher:
    """Writes the votes that arrive while one is being written together, in one statement.

    Per process, for the requests a gunicorn worker serves at once (greenlets
    under gevent, threads under gthread). The first vote to arrive when
    nothing is being written is written at once by its own request (the
    leader). Votes arriving meanwhile queue up; when the leader is
    done it wakes its batch's requests with their results and makes the first
    queued request the next leader, which takes the whole queue (up to
    MAX_BATCH, one vote per participant and statement) as its batch. So no
    vote waits for more than the write in flight plus its own, a lone vote is
    written straight away, and no thread serves requests other than its own
    for longer than one write. Each write is one SQL statement and one commit:
    in the load benchmark most of a vote's PostgreSQL CPU and the app's share
    of the round trip were per statement, not per vote (see
    `services.votes_cast_for_anon_tokens`).

    A request is answered only after the statement holding its vote has
    committed. If the write fails, every vote of that batch gets None and its
    request takes the full path.

    `write` gets the batch and returns a result per vote, in order.
    """

    def __init__(
        self,
        write: Callable[[list[LaneVote]], list[services.TokenVote | None]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False

    def cast(self, vote: LaneVote) -> services.TokenVote | None:
        me = _Waiting(vote)
        with self._lock:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.lead = True
        if not me.lead:
            me.done.wait()
            if not me.lead:
                return me.result
        batch: list[_Waiting] = []
        try:
            batch = self._take()
            try:
                results = self._write([w.vote for w in batch])
            except DatabaseError:
                # A dropped connection, a restarted server: the full path
                # checks the connection's health, reconnects and answers. A
                # vote that did commit comes back as a replay there.
                logger.warning("vote batch failed; its votes take the full path", exc_info=True)
                results = [None] * len(batch)
            except Exception:
                # Anything else is a bug, but the lane is only a shortcut: the
                # votes still get Django's answer (and its error handling),
                # never a bare 500 from outside Django.
                logger.exception("vote batch raised; its votes take the full path")
                results = [None] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._busy = False
                else:
                    successor.lead = True
            for waiting in batch:
                if waiting is not me:
                    waiting.done.set()
            if successor is not None:
                successor.done.set()
        return me.result

    def _take(self) -> list[_Waiting]:
        """The next batch from the queue, in arrival order: one vote per participant and statement."""
        with self._lock:
            batch: list[_Waiting] = []
            rest: list[_Waiting] = []
            keys: set[tuple[int, str, int]] = set()
            for waiting in self._queue:
                v = waiting.vote.vote
                key = (v.space_id, v.anon_token, v.statement_number)
                if len(batch) < self._max_batch and key not in keys:
                    keys.add(key)
                    batch.append(waiting)
                else:
                    rest.append(waiting)
            self._queue = rest
        return batch


def token_vote_body(statement_number: int, value: int, vote: services.TokenVote) -> dict[str, Any]:
    """The vote API's response body (`VoteCastApi.OutputSerializer`) for a token holder's vote."""
    return {
        "statement": statement_number,
        "value": value,
        "participant": vote.participant_number,
        "updated_at": vote.updated_at,
        "changed": vote.changed,
    }


def _vote_path() -> re.Pattern[str]:
    sentinel = 987654321
    path = reverse("api-votes", kwargs={"space_id": sentinel})
    return re.compile("^" + re.escape(path).replace(str(sentinel), r"([0-9]+)") + r"\Z")


def _response_headers() -> list[tuple[str, str]]:
    """What DRF and the middleware add to the view's vote response, from the settings.

    tests/elicitation/test_vote_lane.py compares them with the full path's.
    """
    headers = [
        ("Content-Type", "application/json"),
        ("Allow", "POST, OPTIONS"),  # DRF: the view's methods
        ("Vary", "Cookie"),  # SessionMiddleware: DRF's authentication read the session
    ]
    if "django.middleware.clickjacking.XFrameOptionsMiddleware" in settings.MIDDLEWARE:
        headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS))
    if "django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE:
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            if not isinstance(policy, str):
                policy = ",".join(policy)
            headers.append(("Referrer-Policy", policy))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
            )
    if "config.security.SecurityHeadersMiddleware" in settings.MIDDLEWARE:
        headers.extend(static_headers())
    return headers


def _hsts_header() -> tuple[str, str] | None:
    """SecurityMiddleware's Strict-Transport-Security, sent on HTTPS requests only."""
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return ("Strict-Transport-Security", value)


class VoteLane:
    """WSGI middleware: answers plain token-holder votes, passes everything else on."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.enabled = connection.vendor == "postgresql"
        self.path = _vote_path()
        self.headers = _response_headers()
        self.hsts = _hsts_header()
        hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not hosts:  # as HttpRequest.get_host
            hosts = [".localhost", "127.0.0.1", "[::1]"]
        self.allowed_hosts = hosts
        self.renderer = JSONRenderer()
        self.throttle = ParticipantFixedWindowThrottle()
        self.batcher = VoteBatcher(self._write)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.enabled and environ.get("REQUEST_METHOD") == "POST":
            match = self.path.match(environ.get("PATH_INFO", ""))
            if match is not None:
                answered = self._answer(environ, int(match[1]))
                if answered is not None:
                    status, headers, body = answered
                    start_response(status, headers)
                    return [body]
        return self.app(environ, start_response)

    def _answer(
        self, environ: dict[str, Any], space_id: int
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) of the vote, or None to leave the request to Django."""
        token = environ.get(TOKEN_META, "")
        if (
            not token
            or environ.get("QUERY_STRING")  # may carry an xid
            or environ.get("HTTP_COOKIE")  # a session (a user) or an xid cookie
            or environ.get("HTTP_AUTHORIZATION")  # an API token: a user
            or not environ.get("CONTENT_TYPE", "").startswith("application/json")
        ):
            return None
        secure = self._is_secure(environ)
        if (settings.SECURE_SSL_REDIRECT and not secure) or not self._host_allowed(environ):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        # Django reads the body again if the lane passes.
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            # Bounded: 1,000 opening brackets made json raise RecursionError,
            # which escaped the lane as a bare 500 from gunicorn.
            data = loads_bounded(body)
        except ValueError:
            return None
        vote_input = plain_vote(data)
        if vote_input is None:
            return None
        statement_number, value = vote_input
        raw = unsign_for_space_id(space_id, token)
        if not raw:
            return None
        vote = self.batcher.cast(
            LaneVote(token, services.TokenVoteInput(space_id, raw, statement_number, value))
        )
        if vote is None:
            return None
        content = self.renderer.render(token_vote_body(statement_number, value, vote))
        headers = [*self.headers, ("Content-Length", str(len(content)))]
        if secure and self.hsts is not None:
            headers.append(self.hsts)
        return _REASONS[201 if vote.created else 200], headers, content

    def _write(self, batch: list[LaneVote]) -> list[services.TokenVote | None]:
        """Count a batch against the vote throttle, then cast the votes it allows.

        A throttled vote gets None: its request takes the full path, where
        DRF counts it again and answers 429.
        """
        allowed = self.throttle.allow_participant_tokens(
            [lane_vote.signed_token for lane_vote in batch], VOTE_SCOPE
        )
        try:
            cast = iter(
                services.votes_cast_for_anon_tokens(
                    [lane_vote.vote for lane_vote, ok in zip(batch, allowed, strict=True) if ok]
                )
            )
        finally:
            if getattr(connection, "pool", None) is not None and not connection.in_atomic_block:
                # No request_finished here to give a pooled connection back
                # (settings.DB_POOL_MAX_SIZE): without this every greenlet that
                # led a batch would keep one, and the pool would run dry.
                connection.close()
        return [next(cast) if ok else None for ok in allowed]

    def _host_allowed(self, environ: dict[str, Any]) -> bool:
        """HttpRequest.get_host's check; anything unusual is left to Django."""
        if settings.USE_X_FORWARDED_HOST:
            return False
        host = environ.get("HTTP_HOST", "")
        domain, _ = split_domain_port(host)
        return bool(domain) and validate_host(domain, self.allowed_hosts)

    @staticmethod
    def _is_secure(environ: dict[str, Any]) -> bool:
        """HttpRequest.is_secure on the WSGI environ."""
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if proxy:
            header, secure_value = proxy
            forwarded = environ.get(header)
            if forwarded is not None:
                return str(forwarded).split(",")[0].strip() == secure_value
        return bool(environ.get("wsgi.url_scheme") == "https")
