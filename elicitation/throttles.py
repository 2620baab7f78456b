"""API throttling per participant, with a scope per kind of request.

DRF's ScopedRateThrottle keys anonymous clients by IP address; many
participants behind one address (a school, a conference Wi-Fi, an embedding
site's server) would share one budget. Here an anonymous client carrying a
valid participant token is keyed by that token; otherwise by IP as usual.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core import signing
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from elicitation.identity import TOKEN_META


def token_ident(token: str) -> str:
    """The throttle identity of a signed participant token (never the token itself)."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]


class ParticipantScopedThrottle(ScopedRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            token = request.META.get(TOKEN_META, "")
            ident = ""
            if token:
                try:
                    signing.Signer(salt="elicitation.participant").unsign(token)
                except signing.BadSignature:
                    token = ""
            ident = token_ident(token) if token else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ParticipantFixedWindowThrottle(ParticipantScopedThrottle):
    """The same per-participant scopes, counted in fixed windows with one Redis counter.

    DRF's SimpleRateThrottle keeps a pickled list of timestamps per client and
    rewrites it on every request: a Redis GET and SET plus (un)pickling a list
    as long as the rate. For votes (3600/minute) that cost about 12% of a vote
    request in the load benchmark's profile. A counter per window is one
    INCR on Redis (plus an EXPIRE once per window; other caches use the
    portable `incr`/`add`). The price: a client may send up to twice the rate
    across a window boundary, which is acceptable for an abuse limit.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        limit = self._limit() if self.scope else None
        if limit is None:
            return True
        self.key = self.get_cache_key(request, view)
        return self.key is None or self._count(self.key, *limit)

    def allow_participant_tokens(self, tokens: list[str], scope: str) -> list[bool]:
        """`allow_request` for anonymous requests carrying these tokens, signed and checked.

        The vote API's token path (elicitation.apis.votes) counts a batch of votes here, in
        the counters the API view counts in, with one Redis round trip.
        """
        self.scope = scope
        limit = self._limit()
        if limit is None:
            return [True] * len(tokens)
        num_requests, duration = limit
        keys = [
            self._window_key(
                self.cache_format % {"scope": scope, "ident": token_ident(token)}, duration
            )
            for token in tokens
        ]
        incr_many_in_window = getattr(self.cache, "incr_many_in_window", None)
        if incr_many_in_window is not None:  # Redis (config.cache): one pipeline
            counts = incr_many_in_window(keys, duration + 1)
        else:
            counts = [self._incr(key, duration) for key in keys]
        return [count <= num_requests for count in counts]

    def _limit(self) -> tuple[int, int] | None:
        """(requests, seconds) of the scope's rate; None when the scope has no limit."""
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None or self.duration is None:
            return None
        return self.num_requests, self.duration

    def _window_key(self, key: str, duration: int) -> str:
        """The counter of `key` for the current window (and remember when it ends, for wait())."""
        self.now = self.timer()
        window = int(self.now // duration)
        self.window_ends = (window + 1) * duration
        return f"{key}:{window}"

    def _count(self, key: str, num_requests: int, duration: int) -> bool:
        """Count this request in the current window of `key`; whether it is within the rate."""
        return self._incr(self._window_key(key, duration), duration) <= num_requests

    def _incr(self, window_key: str, duration: int) -> int:
        incr_in_window = getattr(self.cache, "incr_in_window", None)
        if incr_in_window is not None:  # Redis (config.cache): one INCR per request
            return int(incr_in_window(window_key, duration + 1))
        try:
            return int(self.cache.incr(window_key))
        except ValueError:  # first request of the window (or the counter just expired)
            # add() fails when another request of this client created it meanwhile.
            created = self.cache.add(window_key, 1, duration + 1)
            return 1 if created else int(self.cache.incr(window_key))

    def wait(self) -> float | None:
        return max(0.0, self.window_ends - self.now)
