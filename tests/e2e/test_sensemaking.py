"""In Chromium, as a newcomer would: a paraphrase of a demo statement is caught with a link to
the original, and the report shows topics and summaries whose citations open the statements."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from elicitation import demo
from elicitation.models import Space, Statement
from tests.e2e.axe import assert_accessible
from tests.requirements import REPO, needs_axe

pytestmark = [pytest.mark.e2e, needs_axe, pytest.mark.django_db(transaction=True)]

ARTIFACTS = REPO / "var" / "artifacts"
PARAPHRASE = "Kids should be able to walk to school alone in safety."


def _demo() -> Space:
    call_command("load_demo", stdout=StringIO())
    return Space.objects.get(community__slug=demo.DEMO_COMMUNITY_SLUG)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_paraphrase_of_a_demo_statement_is_caught_with_a_link_to_it(
    page: Any, width: int
) -> None:
    space = _demo()
    original = Statement.objects.get(space=space, text__startswith="Children should be able")
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/s/{space.pk}/")
    page.get_by_label("Your statement").fill(PARAPHRASE)
    page.get_by_role("button", name="Propose", exact=True).click()

    link = page.get_by_role("link", name=f"#{original.number}: {original.text}")
    link.wait_for()
    assert page.get_by_text("say much the same").is_visible()
    assert page.get_by_role(
        "button", name="Propose anyway: mine says something different"
    ).is_visible()
    assert not Statement.objects.filter(space=space, text=PARAPHRASE).exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#propose").screenshot(path=str(ARTIFACTS / f"similar-{width}.png"))
    assert_accessible(page, name=f"the propose box with similar statements at {width} px")
    link.click()
    page.wait_for_url(f"**/s/{space.pk}/statements/{original.number}/")


def test_propose_anyway_adds_the_statement(page: Any) -> None:
    space = _demo()

    page.goto(f"/s/{space.pk}/")
    page.get_by_label("Your statement").fill(PARAPHRASE)
    page.get_by_role("button", name="Propose", exact=True).click()
    page.get_by_role("button", name="Propose anyway: mine says something different").click()

    page.get_by_text("is now open for votes").wait_for()
    assert Statement.objects.filter(space=space, text=PARAPHRASE).exists()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_shows_topics_and_summaries_with_clickable_citations(
    page: Any, width: int
) -> None:
    space = _demo()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/s/{space.pk}/report/")

    summary = page.locator("#summary")
    summary.get_by_text("Machine-made summary").wait_for()
    topics = page.locator("#topics")
    assert topics.locator("h3").count() >= 2
    citation = summary.locator("a[href*='/statements/']").first
    number = citation.inner_text().lstrip("#")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    summary.screenshot(path=str(ARTIFACTS / f"report-summary-{width}.png"))
    topics.screenshot(path=str(ARTIFACTS / f"report-topics-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page, name=f"report with topics at {width} px")
    citation.click()
    page.wait_for_url(f"**/s/{space.pk}/statements/{number}/")
