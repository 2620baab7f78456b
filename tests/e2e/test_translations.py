"""Content languages in a real browser: a German reader sees German text and can reveal the
original; a facilitator adds a translation from the translations page (htmx)."""

from __future__ import annotations

from typing import Any

import pytest

from communities.roles import Role
from elicitation.models import (
    ModerationAction,
    Space,
    SpaceTranslation,
    StatementTranslation,
)
from tests.e2e.axe import axe_violations
from tests.factories import MembershipFactory, SpaceFactory, StatementFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORIGINAL = "Every neighbourhood should have a park nearby"
GERMAN = "Jedes Viertel sollte einen Park in der Nähe haben"


def _space() -> Space:
    space = SpaceFactory.create(participation=Space.Participation.LINK, title="Riverside futures")
    statement = StatementFactory.create(
        space=space, number=1, text=ORIGINAL, normalized_text=ORIGINAL.lower()
    )
    StatementFactory.create(
        space=space,
        number=2,
        text="The council should publish every contract it signs",
        normalized_text="the council should publish every contract it signs",
    )
    StatementTranslation.objects.create(statement=statement, language="de", text=GERMAN)
    SpaceTranslation.objects.create(
        space=space, language="de", title="Die Zukunft am Fluss", question="Was zählt für uns?"
    )
    return space


def test_a_german_reader_sees_the_german_statement_and_can_reveal_the_original(
    browser: Any, live_server: Any
) -> None:
    space = _space()
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"/j/{space.link_token}/")
        heading = page.get_by_role("heading", level=1)
        assert heading.inner_text() == "Die Zukunft am Fluss"
        assert heading.get_attribute("lang") == "de"
        card = page.locator("#vote-card")
        text = card.locator(".statement-text span")
        assert text.inner_text() == GERMAN
        assert text.get_attribute("lang") == "de"
        original = card.locator(".shown-original p")
        assert not original.is_visible()
        card.locator(".shown-original summary").click()
        assert original.is_visible()
        assert original.inner_text() == ORIGINAL
        assert original.get_attribute("lang") == "en"
        assert axe_violations(page) == []
        # Voting on the translated card counts for the statement itself.
        card.locator("button.vote-agree").click()  # its label is German here
        page.wait_for_function(
            "() => !document.querySelector('#vote-card .statement-text span[lang=de]')"
        )
        assert card.locator(".statement-text span").get_attribute("lang") == "en"
        assert "shown-original" not in card.inner_html()  # no translation, no toggle
    finally:
        context.close()


def test_a_facilitator_adds_a_translation_in_place(page: Any, log_in: Any) -> None:
    space = _space()
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    log_in(page, facilitator)
    page.goto(f"/s/{space.pk}/translations/?lang=de&show=missing")
    rows = page.locator(".translation-row")
    assert rows.count() == 1  # statement 1 already has its German text
    page.evaluate("window.__sameDocument = true")
    row = page.locator("#tr-2")
    row.get_by_label("translation of #2").fill("Der Rat sollte jeden Vertrag veröffentlichen")
    row.get_by_role("button", name="Add translation").click()
    page.locator("#tr-2 [role=status]").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert (
        StatementTranslation.objects.get(statement__number=2, language="de").text
        == "Der Rat sollte jeden Vertrag veröffentlichen"
    )
    assert ModerationAction.objects.filter(action="translate").count() == 1
    assert axe_violations(page) == []
