"""The public report: its map, bars and sections carry the analysis's numbers."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from aggregation.models import AnalysisRun
from aggregation.report import build_report
from aggregation.results import StoredResult
from communities.models import Community
from communities.roles import Role
from tests.aggregation.conftest import analysed, member_of
from tests.aggregation.data import Deliberation, populate
from tests.factories import SpaceFactory
from tests.html_tree import Element, parse

pytestmark = pytest.mark.django_db


def _report(client: Client, space_id: int) -> tuple[Element, str]:
    response = client.get(f"/s/{space_id}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    return parse(html), html


def test_the_map_draws_one_mark_per_grouped_participant_and_the_table_says_the_same(
    deliberation: Deliberation,
) -> None:
    run = analysed(deliberation.space)
    assert run.result is not None
    sizes = {g["id"]: g["size"] for g in run.result["groups"]}
    assert len(sizes) == 2
    tree, _html = _report(Client(), deliberation.space.pk)

    svg = tree.find("svg", class_="map-svg")
    table = tree.find("table", class_="map-table")
    for index, letter in ((0, "A"), (1, "B")):
        marks = svg.find("g", data_group=letter).find_all("use")
        assert len(marks) == sizes[index]
        row = table.find("tr", data_group=letter)
        assert row.find("td", class_="num").text == str(sizes[index])
        assert f"Group {letter}" in row.text
    grouped = sum(sizes.values())
    placed = len(run.result["map"]["participants"])
    ungrouped = svg.find_all("g", data_group="none")
    assert placed == grouped + (len(ungrouped[0].find_all("use")) if ungrouped else 0)
    assert svg.attrs["data-participants"] == str(placed)
    # The picture's text alternative names the sizes too.
    desc = svg.find("desc").text
    assert f"Group A: {sizes[0]} people." in desc


def test_vote_bars_show_the_stored_counts_for_everyone_and_each_group(
    deliberation: Deliberation,
) -> None:
    run = analysed(deliberation.space)
    assert run.result is not None
    tree, _html = _report(Client(), deliberation.space.pk)
    tables = tree.find_all("table", class_="vote-bars")
    assert tables, "the report shows statements with bars"
    for table in tables:
        entry = run.result["statements"][table.attrs["data-statement"]]
        rows = table.find("tbody").find_all("tr")
        everyone = rows[0]
        assert everyone.attrs["data-who"] == "Everyone"
        assert int(everyone.attrs["data-agree"]) == entry["votes"]["agree"]
        assert int(everyone.attrs["data-disagree"]) == entry["votes"]["disagree"]
        assert int(everyone.attrs["data-pass"]) == entry["votes"]["pass"]
        for row, group in zip(rows[1:], entry["groups"], strict=True):
            assert row.attrs["data-who"] == f"Group {'AB'[group['group']]}"
            assert int(row.attrs["data-agree"]) == group["agree"]
            assert int(row.attrs["data-disagree"]) == group["disagree"]
            passes = group["votes"] - group["agree"] - group["disagree"]
            assert int(row.attrs["data-pass"]) == passes
            # The visible percentages are the same numbers.
            cells = row.find_all("td")
            assert cells[0].text.startswith(f"{round(100 * group['agree'] / group['votes'])}%")


def test_the_report_has_every_section_in_reading_order(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    tree, html = _report(Client(), deliberation.space.pk)
    ids = [s.attrs["id"] for s in tree.find_all("section", class_="report-section")]
    assert ids == [
        "overview",
        "summary",
        "map",
        "consensus",
        "bridging",
        "divisive",
        "groups",
        "topics",
        "uncertain",
        "choices",
        "activity",
    ]
    overview = tree.find("section", id="overview")
    assert "24" in overview.find("dd").text  # participants
    # The populated space plants statements both camps agree with, and two camps.
    assert tree.find("section", id="consensus").find_all("article")
    assert "Group A" in tree.find("section", id="groups").text
    assert "Most people would choose" in html or "split between" in html
    assert "ranked ballots" in tree.find("section", id="choices").text
    chart = tree.find("section", id="activity").find("svg")
    total = sum(int(r.attrs["data-count"]) for r in chart.find_all("rect", class_="chart-bar"))
    assert total == 24 * 8  # one vote event per participant and statement


def test_a_report_without_an_analysis_says_so() -> None:
    space = SpaceFactory.create()
    response = Client().get(f"/s/{space.pk}/report/")
    assert response.status_code == 200
    assert "No analysis of this space has finished yet" in response.content.decode()


def test_a_private_space_report_is_for_members_only() -> None:
    space = SpaceFactory.create(community__visibility=Community.Visibility.PRIVATE)
    populate(space, participants=12, statements=5, accounts=0)
    analysed(space)
    assert Client().get(f"/s/{space.pk}/report/").status_code == 404
    client = Client()
    client.force_login(member_of(space, Role.OBSERVER))
    assert client.get(f"/s/{space.pk}/report/").status_code == 200


def test_above_the_density_threshold_hexagons_hold_every_grouped_participant(
    deliberation: Deliberation,
) -> None:
    run = analysed(deliberation.space)
    assert run.result is not None
    texts = {s.number: s.text for s in deliberation.statements}
    report = build_report(
        StoredResult.from_json(run.result), texts=texts, counts=run.counts, density_above=5
    )
    assert report.map is not None
    assert report.map.density
    html = render_to_string(
        "aggregation/_opinion_map.html",
        {"opinion_map": report.map, "map_groups": report.groups, "map_id": "m"},
    )
    tree = parse(html)
    assert not tree.find_all("use", href="#m-circle") or not tree.find_all("g", class_="map-points")
    per_group: dict[str, int] = {}
    for hexagon in tree.find("g", class_="map-hexes").find_all("polygon"):
        for pair in hexagon.attrs["data-counts"].split():
            letter, count = pair.split(":")
            per_group[letter] = per_group.get(letter, 0) + int(count)
    sizes = {chr(ord("A") + g["id"]): g["size"] for g in run.result["groups"]}
    assert {k: v for k, v in per_group.items() if k != "none"} == sizes


def test_a_result_stored_before_maps_still_gives_a_report(deliberation: Deliberation) -> None:
    run = analysed(deliberation.space)
    assert run.result is not None
    old: dict[str, Any] = dict(run.result)
    del old["map"]
    for entry in old["statements"].values():
        for g in entry["groups"]:
            del g["disagree"]
    AnalysisRun.objects.filter(pk=run.pk).update(result=old)
    tree, html = _report(Client(), deliberation.space.pk)
    assert "stored before maps were drawn" in html
    assert tree.find_all("table", class_="vote-bars")
