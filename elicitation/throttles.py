"""API throttling per participant, with a scope per kind of request.

DRF's ScopedRateThrottle keys anonymous clients by IP address; many
participants behind one address (a school, a conference Wi-Fi, an embedding
site's server) would share one budget. Here an anonymous client carrying a
valid participant token is keyed by that token; otherwise by IP as usual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from elicitation.identity import TOKEN_META

View = TypeVar("View", bound=Callable[..., Any])


def token_ident(token: str) -> str:
    """The throttle identity of a signed participant token (never the token itself)."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]


def scope_of(request: Request, view: Any) -> str | None:
    """The scope the view's class declares for this request's method.

    `throttle_scopes` ({method: scope}) for the methods that differ, else
    `throttle_scope`: the check runs before the handler, so a scope set
    inside a handler would never count.
    """
    scopes = getattr(view, "throttle_scopes", None) or {}
    return scopes.get(request.method) or getattr(view, "throttle_scope", None)


class ParticipantScopedThrottle(ScopedRateThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        # ScopedRateThrottle.allow_request, with the scope of the request's method.
        self.scope = scope_of(request, view)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)

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
        self.scope = scope_of(request, view)
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


# --- The HTML forms' limits (django-ratelimit) ----------------------------------
#
# The vote, propose, argue, compare, rank and flag forms had no limit at all
# while their API twins were throttled. They now count in the same scopes and
# rates as the API (settings.REST_FRAMEWORK's DEFAULT_THROTTLE_RATES), keyed by
# the person: the user, else the participant cookie of the space, else the
# address. A refusal raises django-ratelimit's Ratelimited, answered 429 by its
# middleware (config.errors.too_many_requests).


def _form_key(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    match = request.resolver_match
    space_id = match.kwargs.get("space_id") if match else None
    cookie = request.COOKIES.get(f"polyphony_p{space_id}", "") if space_id else ""
    if cookie:
        return token_ident(cookie)
    return f"ip-{request.META.get('REMOTE_ADDR', '')}"


def _scope_rate(scope: str) -> Callable[[str, HttpRequest], str | None]:
    def rate(group: str, request: HttpRequest) -> str | None:
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        assert isinstance(rates, dict)
        rate = rates.get(scope)
        return str(rate) if rate else None

    return rate


def form_throttle(scope: str) -> Callable[[View], View]:
    """Limit a form view's POSTs by the API scope `scope` ("space_votes", "space_writes")."""
    return ratelimit(group=f"form-{scope}", key=_form_key, rate=_scope_rate(scope), method="POST")
