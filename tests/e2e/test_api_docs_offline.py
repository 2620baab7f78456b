"""The API documentation renders with the network cut: only loopback answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _cut_the_network(page: Any) -> list[str]:
    """Abort every request that leaves the machine; return the list of those tried."""
    blocked: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    page.context.route("**/*", route)
    return blocked


def test_swagger_ui_renders_offline(page: Any) -> None:
    blocked = _cut_the_network(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").get_by_text("Polyphony API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/me/tokens/").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert blocked == []
    assert errors == []


def test_redoc_renders_offline(page: Any) -> None:
    blocked = _cut_the_network(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/redoc/")
    page.get_by_role("heading", name="Polyphony API").first.wait_for()
    page.get_by_role(
        "heading", name="Create an API token; the response holds its key, once"
    ).wait_for()
    assert blocked == []
    assert errors == []
