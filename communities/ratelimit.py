"""Log-in attempt limits, kept in Django's cache (Redis in production).

Counted per (username, client address): one attacker cannot lock a person out
from everywhere, and one address cannot try many passwords on one account. The
window is fixed from the first failure; a successful log-in clears it.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60


def client_address(request: HttpRequest | None) -> str:
    # REMOTE_ADDR, not X-Forwarded-For: a client can write any X-Forwarded-For
    # it likes, which would let it pick a fresh counter per attempt.
    if request is None:
        return "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.casefold()}|{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_locked(username: str, address: str) -> bool:
    return int(cache.get(_key(username, address), 0)) >= LOGIN_FAILURE_LIMIT


def login_failed(username: str, address: str) -> None:
    key = _key(username, address)
    # add() only sets when absent, so the window starts at the first failure;
    # incr() is atomic on Redis (two failures at once both count).
    cache.add(key, 0, timeout=LOGIN_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=LOGIN_WINDOW_SECONDS)


def login_succeeded(username: str, address: str) -> None:
    cache.delete(_key(username, address))
