"""Headers the audit found missing: CSP, Permissions-Policy, Cache-Control, Server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory

from config.security import SecurityHeadersMiddleware, csp_extend, csp_update
from elicitation.models import Space
from tests.config.servers import gunicorn_server, http_request
from tests.factories import MembershipFactory, SpaceFactory, StatementFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(rb"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _main_pages(client: Client) -> list[str]:
    user = UserFactory.create(username="facilitator")
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    MembershipFactory.create(user=user, community=space.community, role="owner")
    StatementFactory.create(space=space, number=1)
    client.force_login(user)
    slug = space.community.slug
    return [
        "/",
        "/accounts/",
        f"/c/{slug}/",
        f"/c/{slug}/members/",
        f"/c/{slug}/spaces/new/",
        f"/s/{space.pk}/",
        f"/s/{space.pk}/statements/",
        f"/s/{space.pk}/analysis/",
        f"/s/{space.pk}/moderation/",
        f"/c/{slug}/import/polis/",
    ]


def test_pages_send_a_policy_without_inline_script_and_contain_none(client: Client) -> None:
    for path in _main_pages(client):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert "camera=()" in response["Permissions-Policy"]
        assert INLINE_SCRIPT.findall(response.content) == [], path
        assert EVENT_HANDLER.findall(response.content) == [], path
        assert b'name="htmx-config"' in response.content


def test_the_django_htmx_debug_script_that_replaced_pages_with_errors_is_not_loaded(
    client: Client, settings: object
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    response = client.get("/")
    assert b"django-htmx.js" not in response.content
    assert b"htmx-2.min.js" in response.content


def test_pages_of_a_logged_in_user_are_private_to_caches(client: Client) -> None:
    anonymous = client.get("/")
    assert "private" not in anonymous.get("Cache-Control", "")
    client.force_login(UserFactory.create())
    for path in ("/", "/accounts/"):
        assert "private" in client.get(path)["Cache-Control"], path


def test_pages_of_a_participant_with_a_cookie_are_private_to_caches(client: Client) -> None:
    space = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    client.get(f"/j/{space.link_token}/")
    assert any(name.startswith("polyphony_") for name in client.cookies)
    assert "private" in client.get(f"/s/{space.pk}/")["Cache-Control"]


def test_a_view_extends_the_policy_for_its_own_response() -> None:
    def embeddable(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    view = csp_update(frame_ancestors=["https://partner.example"])(embeddable)
    middleware = SecurityHeadersMiddleware(view)
    response = middleware(RequestFactory().get("/"))
    policy = _directives(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["https://partner.example"]
    assert policy["script-src"] == ["'self'"]
    assert "X-Frame-Options" not in response
    plain = SecurityHeadersMiddleware(embeddable)(RequestFactory().get("/"))
    assert _directives(plain["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    extended = csp_extend(HttpResponse(), img_src=["https://img.example"])
    out = SecurityHeadersMiddleware(lambda request: extended)(RequestFactory().get("/"))
    assert _directives(out["Content-Security-Policy"])["img-src"] == [
        "'self'",
        "data:",
        "https://img.example",
    ]


def test_an_extended_frame_policy_is_not_undone_by_x_frame_options(client: Client) -> None:
    # Through the whole middleware stack: XFrameOptionsMiddleware respects the exemption.
    from django.urls import path

    from config import urls

    def embeddable(request: HttpRequest) -> HttpResponseBase:
        return csp_extend(HttpResponse("ok"), frame_ancestors=["https://partner.example"])

    urls.urlpatterns.append(path("__embed_test__", embeddable))
    try:
        response = client.get("/__embed_test__")
    finally:
        urls.urlpatterns.pop()
    assert "X-Frame-Options" not in response
    assert "https://partner.example" in response["Content-Security-Policy"]
    assert client.get("/")["X-Frame-Options"] == "DENY"


def test_the_api_documentation_loads_only_our_own_files(client: Client) -> None:
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], url
        assert b"https://" not in response.content, url
        assert INLINE_SCRIPT.findall(response.content) == [], url


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_gunicorn_does_not_name_itself(tmp_path: Path) -> None:
    with gunicorn_server(tmp_path) as port:
        status, headers, _ = http_request(port, "GET", "/")
    assert status == 200
    assert "Server" not in headers
    assert "Content-Security-Policy" in headers


def test_no_template_carries_inline_script_handlers_or_style_blocks() -> None:
    # The pages above are a sample; every template is checked here, so a new
    # page cannot bring inline script back (the policy would block it anyway).
    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for template in sorted(templates.rglob("*.html")):
        text = template.read_bytes()
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or b"<style" in text:
            offenders.append(str(template.relative_to(templates)))
    assert offenders == []
