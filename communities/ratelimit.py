"""Log-in attempt limits, kept in Django's cache (Redis in production).

Counted per (username, client address): one attacker cannot lock a person out
from everywhere, and one address cannot try many passwords on one account. The
window is fixed from the first failure; a successful log-in clears it.

Also counted per address across usernames: trying a few common passwords on
many accounts ("spraying") never reached any one account's limit. Past
settings.LOGIN_FAILURES_PER_ADDRESS failures in the window an address may not
log in at all until the window ends; a successful log-in does not clear it.

The site's log-in page and the admin's both go through
`communities.forms.LoginLimitMixin`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

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


def _address_key(address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"login-failures-address:{digest}"


def login_lock_reason(username: str, address: str) -> str | None:
    """Why a log-in from `address` as `username` is refused now, or None."""
    minutes = LOGIN_WINDOW_SECONDS // 60
    if int(cache.get(_address_key(address), 0)) >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return ngettext(
            "Too many failed log-in attempts from your address. Wait %(minutes)d minute, "
            "or reset your password.",
            "Too many failed log-in attempts from your address. Wait %(minutes)d minutes, "
            "or reset your password.",
            minutes,
        ) % {"minutes": minutes}
    if username and int(cache.get(_key(username, address), 0)) >= LOGIN_FAILURE_LIMIT:
        return ngettext(
            "Too many failed log-in attempts for this account from your address. "
            "Wait %(minutes)d minute, or reset your password.",
            "Too many failed log-in attempts for this account from your address. "
            "Wait %(minutes)d minutes, or reset your password.",
            minutes,
        ) % {"minutes": minutes}
    return None


def login_locked(username: str, address: str) -> bool:
    return login_lock_reason(username, address) is not None


def _count(key: str) -> None:
    # add() only sets when absent, so the window starts at the first failure;
    # incr() is atomic on Redis (two failures at once both count).
    cache.add(key, 0, timeout=LOGIN_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=LOGIN_WINDOW_SECONDS)


def login_failed(username: str, address: str) -> None:
    _count(_key(username, address))
    _count(_address_key(address))


def login_succeeded(username: str, address: str) -> None:
    cache.delete(_key(username, address))
