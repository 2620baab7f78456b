"""Response headers every page and API answer carries: CSP, Permissions-Policy, caching.

The Content-Security-Policy is one table, `settings.CONTENT_SECURITY_POLICY`
(directive -> sources). No page runs inline script: htmx and the few lines of
site JavaScript are static files, htmx's configuration is a `<meta>` tag, and
`'unsafe-inline'` is granted to style attributes only (the server-rendered
bars set their width in `style=`). A view that needs more (an embeddable page
naming the sites that may frame it, the API documentation's CDN) extends the
policy for its own response with `csp_extend` or the `@csp_update` decorator;
extending `frame-ancestors` also drops `X-Frame-Options`, which cannot name
sites and would otherwise keep forbidding every frame. The middleware sits
near the top of the stack so that early answers (the input guard's 400s)
carry the headers too.

`Cache-Control: private` goes on every response to a logged-in user or a
participant carrying a cookie, unless the view set its own caching: those
pages show one person's votes and roles, which a shared cache must not keep.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

_CSP_EXTRA = "_polyphony_csp_extra"
# Cookies that identify a visitor without a login (participant, link grant, xid).
_IDENTITY_COOKIE_PREFIX = "polyphony_"

View = TypeVar("View", bound=Callable[..., Any])


def csp_extend(response: HttpResponseBase, **directives: Iterable[str]) -> HttpResponseBase:
    """Add sources to this response's policy: `csp_extend(r, frame_ancestors=["https://a.example"])`.

    Directive names use underscores for hyphens. Sources are added to the
    settings' ones, except where the settings say `'none'`, which they replace.
    """
    extra: dict[str, list[str]] = getattr(response, _CSP_EXTRA, {})
    for name, sources in directives.items():
        extra.setdefault(name.replace("_", "-"), []).extend(sources)
    setattr(response, _CSP_EXTRA, extra)
    return response


def csp_update(**directives: Iterable[str]) -> Callable[[View], View]:
    """`csp_extend` as a view decorator (function views, or `as_view()` results)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return csp_extend(view(request, *args, **kwargs), **directives)

        return wrapped  # type: ignore[return-value]

    return decorator


def content_security_policy(extra: dict[str, list[str]] | None = None) -> str:
    """The policy header's value: the settings' table with `extra` merged in."""
    policy: dict[str, list[str]] = {
        name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()
    }
    for name, sources in (extra or {}).items():
        current = [s for s in policy.get(name, []) if s != "'none'"]
        policy[name] = current + [s for s in sources if s not in current]
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in policy.items())


def permissions_policy() -> str:
    return ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)


def static_headers() -> list[tuple[str, str]]:
    """The headers this middleware adds to a response no view extended (the vote lane's too)."""
    return [
        ("Content-Security-Policy", content_security_policy()),
        ("Permissions-Policy", permissions_policy()),
    ]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.headers = static_headers()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        extra = getattr(response, _CSP_EXTRA, None)
        for name, value in self.headers:
            response.headers.setdefault(name, value)
        if extra:
            response.headers["Content-Security-Policy"] = content_security_policy(extra)
            if "frame-ancestors" in extra:
                # X-Frame-Options cannot name sites: it would forbid every frame.
                del response["X-Frame-Options"]
        if "Cache-Control" not in response.headers and _identifies_someone(request):
            patch_cache_control(response, private=True)
        return response


def _identifies_someone(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return any(name.startswith(_IDENTITY_COOKIE_PREFIX) for name in request.COOKIES)
