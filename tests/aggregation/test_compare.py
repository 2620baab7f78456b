"""Two value profiles side by side: versions of one space, or two spaces (API and page)."""

from __future__ import annotations

from typing import Any

import jsonschema
import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from aggregation import compare, exports
from aggregation.models import ValueProfile
from communities.models import Community
from communities.roles import Role
from elicitation.models import Vote, VoteEvent
from tests.aggregation.conftest import member_of, published
from tests.aggregation.data import Deliberation, populate
from tests.factories import CommunityFactory, SpaceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/profiles/compare/"


def flip_statement_one(d: Deliberation) -> None:
    """Everyone who agreed with statement 1 now disagrees (a new version moves it)."""
    statement = d.statements[0]
    Vote.objects.filter(statement=statement, value=1).update(value=-1)
    VoteEvent.objects.filter(statement=statement, value=1).update(value=-1)


@pytest.fixture
def two_versions(deliberation: Deliberation) -> tuple[ValueProfile, ValueProfile]:
    first = published(deliberation.space)
    flip_statement_one(deliberation)
    second = published(deliberation.space)
    return first, second


def test_two_versions_of_a_space_are_matched_by_number_with_the_change(
    client: Client, deliberation: Deliberation, two_versions: tuple[ValueProfile, ValueProfile]
) -> None:
    space = deliberation.space.pk

    response = client.get(API, {"a": f"{space}:1", "b": f"{space}:2"})

    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, exports.schema("profile-comparison-1.json"))
    assert body["matched_by"] == "statement number"
    first, second = two_versions
    assert body["summary"]["matched"] == len(first.content["values"])
    moved = next(p for p in body["pairs"] if p["a"]["statement"] == 1)
    before = next(v for v in first.content["values"] if v["statement"] == 1)
    after = next(v for v in second.content["values"] if v["statement"] == 1)
    assert moved["a"]["agree_rate"] == before["support"]["agree_rate"]
    assert moved["b"]["agree_rate"] == after["support"]["agree_rate"]
    assert moved["agree_rate_difference"] == pytest.approx(
        after["support"]["agree_rate"] - before["support"]["agree_rate"]
    )
    assert moved["verdict"] == "different"
    # The largest difference comes first.
    assert body["pairs"][0]["a"]["statement"] == 1
    assert body["summary"]["same"] + body["summary"]["different"] == body["summary"]["matched"]


def test_without_a_version_the_latest_published_one_is_compared(
    client: Client, deliberation: Deliberation, two_versions: tuple[ValueProfile, ValueProfile]
) -> None:
    space = deliberation.space.pk

    body = client.get(API, {"a": f"{space}:1", "b": str(space)}).json()

    assert body["a"]["version"] == 1
    assert body["b"]["version"] == 2


def test_without_the_embedding_model_two_spaces_are_matched_by_their_text(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aggregation.engine import embedding

    monkeypatch.setattr(embedding, "available", lambda: False)
    one, other = SpaceFactory.create(), SpaceFactory.create()
    populate(one, seed=1)
    populate(other, seed=2, statements=6)
    published(one)
    published(other)

    body = client.get(API, {"a": str(one.pk), "b": str(other.pk)}).json()

    assert body["matched_by"] == "same text"
    # populate writes the same texts "Value statement N: ..." in both spaces.
    assert body["summary"]["matched"] == 6
    assert all(p["a"]["text"] == p["b"]["text"] for p in body["pairs"])
    assert body["summary"]["only_in_a"] == 2
    assert body["summary"]["only_in_b"] == 0


def test_matching_by_meaning_pairs_each_value_once_above_the_threshold() -> None:
    def content(texts: list[str]) -> dict[str, Any]:
        return {
            "community": {"name": "c", "slug": "c"},
            "space": {"name": "s", "slug": "s", "question": "q"},
            "version": 1,
            "status": "published",
            "values": [
                {
                    "statement": i + 1,
                    "text": t,
                    "rank": i + 1,
                    "classification": "consensus",
                    "support": {"agree_rate": 0.8, "votes": 10},
                }
                for i, t in enumerate(texts)
            ],
        }

    table = np.array([[0.95, 0.85, 0.1], [0.9, 0.2, 0.1], [0.1, 0.1, 0.5]])

    def similarity(a: Any, b: Any) -> Any:
        return table

    out = compare.compare(
        content(["x", "y", "z"]), content(["p", "q", "r"]), same_space=False, similarity=similarity
    )

    assert out["matched_by"] == "meaning"
    # x-p first (0.95); y cannot take p again and has nothing else above 0.8; z matches nothing.
    assert [(p["a"]["statement"], p["b"]["statement"]) for p in out["pairs"]] == [(1, 1)]
    assert {v["statement"] for v in out["only_in_a"]} == {2, 3}


def test_a_bad_reference_is_a_400_naming_the_parameter(
    client: Client, deliberation: Deliberation, two_versions: tuple[ValueProfile, ValueProfile]
) -> None:
    response = client.get(API, {"a": "v1", "b": str(deliberation.space.pk)})

    assert response.status_code == 400
    assert "a: expected a space id" in response.json()["detail"]
    assert client.get(API, {"a": "1"}).status_code == 400


def test_only_profiles_the_requester_may_read_can_be_compared(
    client: Client, deliberation: Deliberation, two_versions: tuple[ValueProfile, ValueProfile]
) -> None:
    private = SpaceFactory.create(
        community=CommunityFactory.create(visibility=Community.Visibility.PRIVATE)
    )
    populate(private)
    published(private)
    public = deliberation.space.pk

    response = client.get(API, {"a": str(public), "b": str(private.pk)})

    assert response.status_code == 404
    member = member_of(private, Role.MEMBER)
    client.force_login(member)
    assert client.get(API, {"a": str(public), "b": str(private.pk)}).status_code == 200


def test_the_comparison_page_shows_the_differences_and_offers_readable_versions(
    client: Client, deliberation: Deliberation, two_versions: tuple[ValueProfile, ValueProfile]
) -> None:
    private = SpaceFactory.create(
        community=CommunityFactory.create(visibility=Community.Visibility.PRIVATE),
        title="Hidden space",
    )
    populate(private)
    published(private)
    space = deliberation.space.pk
    url = reverse("aggregation:profile-compare")

    empty = client.get(url)
    page = client.get(url, {"a": f"{space}:1", "b": f"{space}:2"})

    assert empty.status_code == 200
    assert f'value="{space}:1"' in empty.content.decode()
    assert f'value="{space}:2"' in empty.content.decode()
    assert "Hidden space" not in empty.content.decode()
    text = page.content.decode()
    assert "Values in both" in text
    assert "different" in text
    first = deliberation.statements[0].text
    assert first in text
    bad = client.get(url, {"a": "x", "b": "1"})
    assert bad.status_code == 400
    assert "First profile: expected a space id" in bad.content.decode()


def test_two_spaces_are_matched_by_meaning_with_the_stored_embeddings(client: Client) -> None:
    from elicitation.models import Statement
    from tests.elicitation.similar_pairs import SAME

    one, other = SpaceFactory.create(), SpaceFactory.create()
    first = populate(one, seed=1, statements=6)
    second = populate(other, seed=2, statements=6)
    pairs = [SAME[i] for i in (0, 1, 3, 4, 5)]  # #2 is one the model misses
    opposite = ("Voting should be possible online.", "Voting should not be possible online.")
    texts_one = [a for a, _b in pairs] + [opposite[0]]
    texts_two = [b for _a, b in pairs] + [opposite[1]]
    for d, texts in ((first, texts_one), (second, texts_two)):
        for statement, text in zip(d.statements, texts, strict=True):
            Statement.objects.filter(pk=statement.pk).update(text=text)
    published(one)
    published(other)

    body = client.get(API, {"a": str(one.pk), "b": str(other.pk)}).json()

    assert body["matched_by"] == "meaning"
    matched = {(p["a"]["text"], p["b"]["text"]) for p in body["pairs"]}
    assert matched == set(pairs)
    assert all(0.72 <= p["similarity"] <= 1 for p in body["pairs"])
    # A statement and its negation are never matched.
    assert [v["text"] for v in body["only_in_a"]] == [opposite[0]]
    assert [v["text"] for v in body["only_in_b"]] == [opposite[1]]
