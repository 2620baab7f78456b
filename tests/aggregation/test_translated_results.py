"""Results in the reader's language: the report and the published profile show translations
where there are some, and every export keeps the original bytes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from aggregation.models import ValueProfile
from elicitation.models import Statement, StatementTranslation
from tests.aggregation.conftest import analysed, published
from tests.aggregation.data import Deliberation
from tests.html_tree import parse

pytestmark = pytest.mark.django_db


def _translate_all(deliberation: Deliberation) -> dict[int, str]:
    german: dict[int, str] = {}
    for statement in Statement.objects.filter(space=deliberation.space):
        german[statement.number] = f"Auf Deutsch: Aussage Nummer {statement.number}"
        StatementTranslation.objects.create(
            statement=statement, language="de", text=german[statement.number]
        )
    return german


def test_the_report_shows_german_cards_with_the_original_behind_a_toggle(
    deliberation: Deliberation,
) -> None:
    analysed(deliberation.space)
    german = _translate_all(deliberation)
    html = Client().get(f"/s/{deliberation.space.pk}/report/", HTTP_ACCEPT_LANGUAGE="de")
    tree = parse(html.content.decode())
    cards = tree.find_all("article", class_="statement-card")
    assert cards
    for card in cards:
        number = int(card.attrs["id"].rsplit("-", 1)[1])
        assert card.find("span", lang="de").text == german[number]
        original = card.find("details", class_="shown-original").find("p", lang="en")
        assert original.text == Statement.objects.get(space=deliberation.space, number=number).text
    english = Client().get(f"/s/{deliberation.space.pk}/report/").content.decode()
    assert "Auf Deutsch" not in english


def test_the_public_profile_reads_translations_in_one_query_and_exports_keep_the_original(
    deliberation: Deliberation, django_assert_max_num_queries: Any
) -> None:
    profile = published(deliberation.space)
    space_id = deliberation.space.pk
    exports: dict[str, bytes] = {}
    for fmt in ("json", "csv", "md"):
        response = Client().get(f"/api/v1/spaces/{space_id}/profiles/latest/?format={fmt}")
        assert response.status_code == 200, fmt
        exports[fmt] = response.content
    content = dict(profile.content)
    german = _translate_all(deliberation)
    client = Client()
    client.get(f"/s/{space_id}/profile/", HTTP_ACCEPT_LANGUAGE="de")
    with django_assert_max_num_queries(12):
        page = client.get(f"/s/{space_id}/profile/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    values = parse(page).find_all("li", class_="value-card")
    assert values
    for value in values:
        number = int(value.attrs["data-statement"])
        assert value.find("p", class_="value-text").find("span", lang="de").text == german[number]
        assert value.find("details", class_="shown-original") is not None
    for fmt, before in exports.items():
        after = Client().get(f"/api/v1/spaces/{space_id}/profiles/latest/?format={fmt}").content
        assert after == before, fmt
    profile.refresh_from_db()
    assert profile.content == content
    assert ValueProfile.objects.get(pk=profile.pk).content["values"][0]["text"] in {
        s.text for s in Statement.objects.filter(space=deliberation.space)
    }
