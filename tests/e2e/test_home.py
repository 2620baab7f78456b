from __future__ import annotations

from typing import Any

import pytest

from tests.factories import CommunityFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_home_page_lists_communities_and_the_skip_link_works(page: Any) -> None:
    CommunityFactory.create(name="Harbour Town", description="A port deciding its future.")
    page.goto("/")
    assert page.get_by_role("heading", name="Harbour Town").is_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
