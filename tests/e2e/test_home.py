from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.axe import assert_accessible, axe_violations
from tests.factories import CommunityFactory
from tests.requirements import needs_axe

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


@needs_axe
def test_axe_finds_what_it_should_and_the_home_page_has_no_serious_violation(page: Any) -> None:
    CommunityFactory.create(name="Harbour Town")
    page.goto("/")
    assert_accessible(page, name="the home page")
    # The helper itself can fail: an unlabelled field and an image without text.
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
                '<form><input type="text" name="x"></form><img src="/static/none.png">');
        }"""
    )
    found = {v["id"] for v in axe_violations(page, impacts=("serious", "critical"))}
    assert {"label", "image-alt"} <= found
