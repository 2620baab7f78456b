"""Two versions of the demo profile side by side in Chromium, at desktop and phone width."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from aggregation import services
from aggregation.models import ValueProfile
from elicitation import demo
from elicitation.models import Space, Statement, Vote, VoteEvent
from tests.aggregation.conftest import analysed
from tests.e2e.axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts" / "e2e"


def _second_demo_version() -> Space:
    """The demo with its version 1, then a second version after opinion moved on one value."""
    call_command("load_demo", stdout=StringIO())
    space = Space.objects.get(community__slug=demo.DEMO_COMMUNITY_SLUG)
    first = ValueProfile.objects.get(space=space, version=1)
    moved = Statement.objects.get(space=space, number=first.content["values"][0]["statement"])
    Vote.objects.filter(statement=moved, value=1).update(value=-1)
    VoteEvent.objects.filter(statement=moved, value=1).update(value=-1)
    analysed(space)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    services.profile_publish(profile=draft, actor=first.approved_by)  # type: ignore[arg-type]
    return space


@pytest.mark.parametrize("width", [1280, 390])
def test_a_reader_compares_two_versions_of_the_demo_profile(
    page: Any, live_server: Any, width: int
) -> None:
    space = _second_demo_version()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/profiles/compare/")
    page.get_by_label("First profile").select_option(f"{space.pk}:1")
    page.get_by_label("Second profile").select_option(f"{space.pk}:2")
    page.get_by_role("button", name="Compare").click()

    page.get_by_role("heading", name="Values in both").wait_for()
    summary = page.get_by_text("values in both (matched by statement number)")
    assert summary.is_visible()
    first_item = page.locator(".compare-item").first
    assert "different" in first_item.inner_text()
    page.get_by_text("Where they agree").click()
    assert page.locator(".compare-item").count() == len(
        ValueProfile.objects.get(space=space, version=1).content["values"]
    )
    # Nothing scrolls sideways, at either width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"compare-{width}.png"), full_page=True)
    assert_accessible(page, name=f"comparison page at {width} px")
