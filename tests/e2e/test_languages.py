"""The site in the browser's language, the switcher, and the browser's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.requirements import needs_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def german_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A browser set to German (Accept-Language de-DE) in Berlin's time zone."""
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_german_browser_gets_german_and_can_switch_to_french(german_page: Any) -> None:
    page = german_page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "de"
    switcher = page.get_by_role("group", name="Sprache")
    assert switcher.is_visible()
    assert page.get_by_role("link", name="Anmelden").is_visible()
    assert switcher.get_by_role("button", name="Deutsch").get_attribute("aria-current") == "true"

    switcher.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Se connecter").is_visible()
    assert page.evaluate("location.pathname") == "/"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["django_language"] == "fr"
    # The page's script told the server the browser's time zone.
    assert cookies["tz"] == "Europe/Berlin"
    assert "Europe/Berlin" in page.locator("footer").inner_text()


def test_the_home_page_reads_in_german(german_page: Any) -> None:
    german_page.goto("/")
    main = german_page.locator("main").inner_text()
    assert "What does your community value?" not in main
    assert "Communities" not in german_page.locator("header").inner_text()


@needs_axe
def test_the_switcher_is_accessible_at_phone_width(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role("button", name="Español").is_visible()
    assert_accessible(page, name="the home page with the language switcher")
