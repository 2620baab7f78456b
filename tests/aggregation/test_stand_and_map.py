"""Where you stand on the map, and the map as data over the API."""

from __future__ import annotations

import pytest
from django.test import Client

from aggregation import naming
from aggregation.report import support_summary
from communities.models import Community
from communities.roles import Role
from elicitation.models import Vote
from tests.aggregation.conftest import analysed, member_of
from tests.aggregation.data import Deliberation, populate
from tests.factories import SpaceFactory
from tests.html_tree import parse


def test_group_letters_run_a_to_z_then_double() -> None:
    assert [naming.group_letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]
    assert naming.group_label(2) == "Group C"
    with pytest.raises(ValueError, match="0 or more"):
        naming.group_letter(-1)


def test_a_group_is_named_by_the_statements_it_stands_for_and_against() -> None:
    texts = {1: "Keep the wetland wild", 2: "Build the stadium by the river " * 4, 3: "Other"}
    reps = [
        {"statement": 2, "direction": "disagree"},
        {"statement": 1, "direction": "agree"},
        {"statement": 3, "direction": "agree"},
    ]
    name = naming.group_name(0, reps, texts)
    assert name.startswith("Group A: for “Keep the wetland wild”, against “Build the stadium")
    assert name.endswith("…”")
    assert len(name) < 160
    assert naming.group_name(1, [], texts) == "Group B"


def test_the_one_line_summary_says_whether_every_group_agrees() -> None:
    assert support_summary(0.82, [0.8, 0.9, 0.7]) == "82% agree, across all three groups"
    assert support_summary(0.82, [0.8, 0.9]) == "82% agree, in both groups"
    assert support_summary(0.55, [0.9, 0.2]) == "55% agree; not group B (20%)"
    assert support_summary(0.3, [0.2, 0.4]) == "30% agree, and no group has a majority for it"
    assert support_summary(None, []) == "No votes yet"


@pytest.mark.django_db
def test_where_you_stand_marks_you_on_the_map_and_says_how_close_each_group_is(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    run = analysed(space)
    assert run.result is not None
    me = next(p for p in deliberation.participants if p.user is not None)
    mine = run.result["participants"][str(me.number)]
    assert mine is not None
    client = Client()
    assert me.user is not None
    client.force_login(me.user)
    tree = parse(client.get(f"/s/{space.pk}/stand/").content.decode())

    svg = tree.find("svg", class_="map-svg")
    assert svg.find_all("g", class_="map-you")
    assert "Your own position is marked" in svg.find("desc").text

    # Recompute the closeness from the stored counts: my side vs each group's majority.
    my_votes = dict(Vote.objects.filter(participant=me).values_list("statement__number", "value"))
    rows = tree.find("table", class_="closeness-table").find("tbody").find_all("tr")
    assert len(rows) == len(run.result["groups"])
    for row, index in zip(rows, range(len(rows)), strict=True):
        shared = same = 0
        for number, value in my_votes.items():
            if value == 0:
                continue
            g = run.result["statements"][str(number)]["groups"][index]
            if g["agree"] != g["disagree"]:
                shared += 1
                same += (g["agree"] > g["disagree"]) == (value > 0)
        cells = row.find_all("td")
        assert cells[0].text == f"{round(100 * same / shared)}%"
        assert cells[1].text == str(shared)
        assert row.attrs["data-group"] == naming.group_letter(index)
        assert ("your group" in row.text) == (index == mine)


@pytest.mark.django_db
def test_the_map_api_gives_numbers_coordinates_and_group_letters_only(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    run = analysed(space)
    assert run.result is not None
    data = Client().get(f"/api/v1/spaces/{space.pk}/map/").json()
    assert data["analysis_run"] == run.pk
    sizes = {g["letter"]: g["size"] for g in data["groups"]}
    assert sizes == {"A": run.result["groups"][0]["size"], "B": run.result["groups"][1]["size"]}
    assert data["groups"][0]["title"] == "Group A"
    assert data["groups"][0]["name"].startswith("Group A")
    per_group: dict[str | None, int] = {}
    for point in data["participants"]:
        assert set(point) == {"participant", "x", "y", "group"}
        per_group[point["group"]] = per_group.get(point["group"], 0) + 1
    assert {k: v for k, v in per_group.items() if k} == sizes
    assert {p["participant"] for p in data["participants"]} == {
        int(k) for k in run.result["map"]["participants"]
    }
    assert data["statements"]
    body = str(data)
    for user in deliberation.users:
        assert user.username not in body
        assert user.email not in body


@pytest.mark.django_db
def test_the_map_api_follows_who_may_see_results() -> None:
    space = SpaceFactory.create(community__visibility=Community.Visibility.PRIVATE)
    populate(space, participants=10, statements=4, accounts=0)
    analysed(space)
    assert Client().get(f"/api/v1/spaces/{space.pk}/map/").status_code == 404
    client = Client()
    client.force_login(member_of(space, Role.OBSERVER))
    assert client.get(f"/api/v1/spaces/{space.pk}/map/").status_code == 200


@pytest.mark.django_db
def test_the_map_api_before_any_analysis_is_empty() -> None:
    space = SpaceFactory.create()
    data = Client().get(f"/api/v1/spaces/{space.pk}/map/").json()
    assert data == {
        "analysis_run": None,
        "computed_at": None,
        "sign": None,
        "groups": [],
        "participants": [],
        "statements": [],
    }
