"""A space embedded in a page of another origin (loopback): voting inside the iframe with a signed xid."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from elicitation.identity import xid_signature
from elicitation.models import Space, Vote
from tests.e2e.axe import axe_violations
from tests.factories import SpaceFactory, StatementFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "Every neighbourhood should have a park nearby",
    "The council should publish every contract it signs",
]


class _HostSite:
    """A page on http://127.0.0.1:<port>, another origin than the live server (localhost)."""

    def __init__(self) -> None:
        self.html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host() -> Iterator[_HostSite]:
    site = _HostSite()
    yield site
    site.close()


def _space(origins: str) -> Space:
    space = SpaceFactory.create(
        participation=Space.Participation.LINK, title="Riverside futures", embed_origins=origins
    )
    for number, text in enumerate(TEXTS, start=1):
        StatementFactory.create(space=space, number=number, text=text, normalized_text=text.lower())
    space.statement_counter = len(TEXTS)
    space.save()
    return space


def _host_page(live_server: Any, space: Space, xid: str) -> str:
    src = f"{live_server.url}/s/{space.pk}/embed/?xid={xid}&xid_sig={xid_signature(space, xid)}"
    return (
        "<!doctype html><html lang='en'><head><title>City news</title></head><body>"
        "<main><h1>Our riverfront</h1><p>Tell us what matters to you.</p>"
        f"<script src='{live_server.url}/embed.js' data-space='{src}'></script>"
        "<p id='after'>More news below.</p></main></body></html>"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_host_site_embeds_the_space_and_its_reader_votes_with_a_signed_xid(
    browser: Any, live_server: Any, host: _HostSite, width: int, tmp_path: Any
) -> None:
    assert not host.origin.startswith(live_server.url)  # two origins, as a real host site
    space = _space(host.origin)
    host.html = _host_page(live_server, space, "reader-42")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(host.origin + "/")
        frame = page.frame_locator("iframe")
        card = frame.locator("#vote-card")
        assert "Statement #" in card.inner_text()
        # The iframe is resized to its content by the script (postMessage of the height).
        page.wait_for_function("() => document.querySelector('iframe').style.height !== '480px'")
        card.get_by_role("button", name="Agree", exact=True).click()
        frame.locator("#vote-card", has_text="Recorded your vote").wait_for()
        card.get_by_role("button", name="Disagree", exact=True).click()
        frame.locator("#vote-card", has_text="voted on 2 of 2").wait_for()
        page.screenshot(path=str(tmp_path / f"embed-{width}.png"), full_page=True)
        votes = Vote.objects.filter(participant__space=space)
        assert sorted(votes.values_list("value", flat=True)) == [-1, 1]
        assert {v.participant.xid for v in votes} == {"reader-42"}
        # The page inside the frame passes axe too.
        inner = next(f for f in page.frames if "/embed/" in f.url)
        assert axe_violations(inner) == []
    finally:
        context.close()


def test_a_site_not_listed_cannot_frame_the_space(
    browser: Any, live_server: Any, host: _HostSite
) -> None:
    space = _space("https://elsewhere.example")
    host.html = _host_page(live_server, space, "reader-42")
    context = browser.new_context()
    page = context.new_page()
    try:
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(host.origin + "/")
        page.wait_for_timeout(1500)
        inner = [f for f in page.frames if f is not page.main_frame]
        assert inner, "the script inserted no iframe"
        assert inner[0].locator("#vote-card").count() == 0
        assert any("frame-ancestors" in text for text in blocked)
    finally:
        context.close()
