"""The reader's language and time zone for each request.

Django's LocaleMiddleware (earlier in the chain) picks the language from the
`django_language` cookie, else the browser's Accept-Language. This middleware
then applies what a logged-in person chose on their account page, which wins
over both (so the choice follows them to a new browser), and activates a time
zone: the account's, else the browser's (`tz` cookie, set by static/js/app.js
from Intl.DateTimeFormat), else the site's TIME_ZONE.

The account's preferences are copied into the session when the person logs in
(`remember_preferences_on_login`, connected to `user_logged_in`), so a
logged-in request costs no extra query: the session is read anyway for
authentication. A session from before that (or whose copy is missing) has
them loaded once, on its next request.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

TZ_COOKIE = "tz"
# Session key holding {"user": <session user id>, "language": "de", "time_zone": "Europe/Berlin"}.
PREFERENCES_SESSION_KEY = "polyphony_preferences"
# The longest IANA name is 32 characters; anything much longer is not one.
_MAX_TZ_LENGTH = 64


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_time_zone(name: str | None) -> str | None:
    """`name` if it is an IANA time zone this machine knows, else None.

    Checked against the list of known names rather than by trying ZoneInfo(name):
    ZoneInfo accepts any file under the tz data folder and raises assorted errors
    for paths, and the cookie is client input.
    """
    if not name or len(name) > _MAX_TZ_LENGTH:
        return None
    return name if name in _time_zone_names() else None


def time_zone_choices() -> list[str]:
    return sorted(_time_zone_names())


def valid_language(code: str | None) -> str | None:
    """`code` if the site offers that language, else None."""
    if code and code in dict(settings.LANGUAGES):
        return code
    return None


def remember_preferences(request: HttpRequest, *, language: str, time_zone: str) -> None:
    """Store a logged-in person's saved preferences in their session (after a change)."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return
    session[PREFERENCES_SESSION_KEY] = {
        "user": str(session[SESSION_KEY]),
        "language": language,
        "time_zone": time_zone,
    }


def remember_preferences_on_login(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    """`user_logged_in` receiver: the account's saved preferences into the new session.

    A signal, not a service: it only fills the session cache the middleware
    reads, at the one moment every way of logging in goes through.
    """
    from communities.selectors import account_preferences

    if request is None or getattr(request, "session", None) is None or user is None:
        return
    language, time_zone = account_preferences(user_id=user.pk)
    request.session[PREFERENCES_SESSION_KEY] = {
        "user": str(user.pk),
        "language": language,
        "time_zone": time_zone,
    }


def _account_preferences(request: HttpRequest) -> dict[str, str]:
    """The logged-in person's saved language and time zone ({} when logged out)."""
    session = getattr(request, "session", None)
    # Without a session cookie there is nobody logged in: don't touch the session.
    if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return {}
    user_id = session.get(SESSION_KEY)
    if user_id is None:
        return {}
    cached = session.get(PREFERENCES_SESSION_KEY)
    if isinstance(cached, dict) and cached.get("user") == str(user_id):
        return cached
    from communities.selectors import account_preferences

    language, time_zone = account_preferences(user_id=user_id)
    preferences = {"user": str(user_id), "language": language, "time_zone": time_zone}
    session[PREFERENCES_SESSION_KEY] = preferences
    return preferences


class AccountLocaleMiddleware:
    """Applies the account's language and the reader's time zone (see the module docstring).

    Goes after AuthenticationMiddleware and LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferences = _account_preferences(request)
        language = valid_language(preferences.get("language"))
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        time_zone = valid_time_zone(preferences.get("time_zone")) or valid_time_zone(
            request.COOKIES.get(TZ_COOKIE)
        )
        if time_zone:
            timezone.activate(zoneinfo.ZoneInfo(time_zone))
        else:
            timezone.deactivate()
        request.time_zone = time_zone or settings.TIME_ZONE  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            # The thread serves other requests next (gevent greenlets share nothing here,
            # but a sync worker thread does).
            timezone.deactivate()


def i18n_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the active time zone's name and the switcher's languages."""
    return {
        "TIME_ZONE_NAME": getattr(request, "time_zone", settings.TIME_ZONE),
        # Each language in its own name (settings.LANGUAGES is not translated on purpose).
        "SWITCHER_LANGUAGES": settings.LANGUAGES,
    }
