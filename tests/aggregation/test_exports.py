"""Exports for AI work: constitution, preference data, evaluation set (through the API)."""

from __future__ import annotations

import json
import math
import re
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from aggregation import exports
from aggregation.models import ValueProfile
from aggregation.naming import group_letter
from communities.roles import Role
from elicitation.models import Comparison, RankingEntry, Space
from elicitation.services.spaces import space_set_phase
from tests.aggregation.conftest import member_of, published
from tests.aggregation.data import Deliberation, add_segment, populate
from tests.factories import CommunityFactory, SpaceFactory
from tests.requirements import POLIS_DATA, needs_shared_data

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def export(client: Client, space_id: int, fmt: str, version: int = 1) -> Any:
    url = reverse(
        "aggregation-api:profile-version", kwargs={"space_id": space_id, "version": version}
    )
    response = client.get(url, {"format": fmt})
    assert response.status_code == 200, response.content[:500]
    return response


def jsonl(response: Any) -> list[dict[str, Any]]:
    assert response["Content-Type"].startswith("application/jsonl")
    return [json.loads(line) for line in response.content.decode().splitlines()]


@pytest.fixture
def profile(deliberation: Deliberation) -> ValueProfile:
    return published(deliberation.space)


# --- Constitution -----------------------------------------------------------------


def test_divisive_values_become_divisions_with_every_groups_position_never_principles(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    doc = export(client, deliberation.space.pk, "constitution").json()
    jsonschema.validate(doc, exports.schema("value-constitution-1.json"))

    values = {v["statement"]: v for v in profile.content["values"]}
    divisive = {n for n, v in values.items() if v["classification"] == "divisive"}
    agreed = {n for n, v in values.items() if v["classification"] in ("consensus", "bridging")}
    assert divisive, "the test data has divisive values"
    assert agreed, "the test data has consensus or bridging values"
    principle_numbers = {p["source"]["statement"] for p in doc["principles"]}
    division_numbers = {d["source"]["statement"] for d in doc["divisions"]}
    assert principle_numbers == agreed
    assert division_numbers == divisive
    for division in doc["divisions"]:
        value = values[division["source"]["statement"]]
        positions = division["support"]["groups"]
        # Both sides' figures: one position per opinion group, with its rate.
        assert [p["group"] for p in positions] == [
            group_letter(g["group"]) for g in value["groups"]
        ]
        assert [p["agree_rate"] for p in positions] == [g["agree_rate"] for g in value["groups"]]
        assert {p["leaning"] for p in positions} >= {"agrees", "disagrees"}


def test_principles_follow_the_profile_order_as_written_and_link_back(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    doc = export(client, deliberation.space.pk, "constitution").json()

    ranks = {v["statement"]: v["rank"] for v in profile.content["values"]}
    order = [ranks[p["source"]["statement"]] for p in doc["principles"]]
    assert order == sorted(order)
    assert [p["number"] for p in doc["principles"]] == list(range(1, len(order) + 1))
    texts = {v["statement"]: v["text"] for v in profile.content["values"]}
    for p in doc["principles"]:
        assert p["wording"] == "as_written"
        assert p["text"] == p["statement_text"] == texts[p["source"]["statement"]]
        assert p["source"]["profile_version"] == 1
        assert p["source"]["url"].endswith(
            f"/s/{deliberation.space.pk}/profile/v1/#value-{p['source']['statement']}"
        )
        assert p["support"]["votes"] > 0
    assert doc["source"]["profile_version"] == 1
    assert doc["source"]["input_fingerprint"] == profile.content["provenance"]["input_fingerprint"]


def test_the_constitution_reads_as_markdown_with_divisions_stated(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    response = export(client, deliberation.space.pk, "constitution-md")
    doc = export(client, deliberation.space.pk, "constitution").json()

    assert response["Content-Type"].startswith("text/markdown")
    assert "-constitution.md" in response["Content-Disposition"]
    text = response.content.decode()
    assert "## Principles" in text
    assert text.count("The community is divided on:") == len(doc["divisions"])
    for p in doc["principles"]:
        assert f"statement #{p['source']['statement']}" in text


# --- Preference data -----------------------------------------------------------------


def test_preference_counts_add_up_to_the_comparisons_and_ballots_stored(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    records = jsonl(export(client, deliberation.space.pk, "preferences"))
    schema = exports.schema("preference-record-1.json")
    for record in records:
        jsonschema.validate(record, schema)

    space = deliberation.space
    stored = Comparison.objects.filter(participant__space=space).count()
    counted = sum(
        r["counts"]["comparisons_chosen"]
        + r["counts"]["comparisons_rejected"]
        + r["counts"]["comparisons_undecided"]
        for r in records
    )
    assert stored > 0
    assert counted == stored
    listed: dict[int, int] = {}
    for entry in RankingEntry.objects.filter(ranking__participant__space=space):
        listed[entry.ranking_id] = listed.get(entry.ranking_id, 0) + 1
    pairs_in_ballots = sum(n * (n - 1) // 2 for n in listed.values())
    assert pairs_in_ballots > 0
    assert sum(
        r["counts"]["ballots_chosen"] + r["counts"]["ballots_rejected"] for r in records
    ) == (pairs_in_ballots)


def test_each_preference_record_prefers_the_statement_chosen_more_often(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    records = jsonl(export(client, deliberation.space.pk, "preferences"))
    texts = {v["statement"]: v["text"] for v in profile.content["values"]}
    strengths = {
        v["statement"]: (v["pairwise"] or {}).get("strength") for v in profile.content["values"]
    }

    pairs = set()
    for r in records:
        c = r["counts"]
        chosen = c["comparisons_chosen"] + c["ballots_chosen"]
        rejected = c["comparisons_rejected"] + c["ballots_rejected"]
        assert chosen >= rejected
        assert r["tied"] == (chosen == rejected)
        assert r["prompt"] == deliberation.space.question
        assert r["chosen"] == texts[r["chosen_statement"]]
        assert r["rejected"] == texts[r["rejected_statement"]]
        s_c, s_r = strengths[r["chosen_statement"]], strengths[r["rejected_statement"]]
        if s_c is not None and s_r is not None:
            expected = 1 / (1 + math.exp(-(s_c - s_r)))
            assert r["bradley_terry_probability"] == pytest.approx(expected, abs=1e-6)
        pair = frozenset((r["chosen_statement"], r["rejected_statement"]))
        assert pair not in pairs, "one record per pair"
        pairs.add(pair)


# --- Evaluation set -----------------------------------------------------------------


def test_eval_group_distributions_equal_the_profiles_per_group_agree_rates(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    records = jsonl(export(client, deliberation.space.pk, "eval"))
    schema = exports.schema("pluralistic-eval-record-1.json")
    values = {v["statement"]: v for v in profile.content["values"]}

    assert [r["statement"] for r in records] == [v["statement"] for v in profile.content["values"]]
    for r in records:
        jsonschema.validate(r, schema)
        value = values[r["statement"]]
        assert r["options"] == ["agree", "disagree", "pass"]
        support = value["support"]
        assert r["overall"]["counts"] == {
            "agree": support["agree"],
            "disagree": support["disagree"],
            "pass": support["pass"],
        }
        assert r["overall"]["n"] == support["votes"]
        assert len(r["groups"]) == len(value["groups"]) >= 2
        for group, expected in zip(r["groups"], value["groups"], strict=True):
            assert group["group"] == group_letter(expected["group"])
            assert group["n"] == expected["votes"]
            assert group["distribution"]["agree"] == pytest.approx(expected["agree_rate"], abs=1e-6)
            shares = group["distribution"]
            assert sum(shares.values()) == pytest.approx(1.0, abs=1e-5)
            for option, (low, high) in group["intervals"].items():
                assert low <= shares[option] <= high


def test_eval_segment_cells_under_five_are_suppressed(client: Client) -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=20, accounts=10)
    add_segment(space, d.users, label="Age band", choices={"18-34": 6, "35-64": 4})
    published(space)

    records = jsonl(export(client, space.pk, "eval"))

    for r in records:
        cells = {s["choice"]: s for s in r["segments"]}
        assert cells["35-64"]["suppressed"] is True
        assert cells["35-64"]["counts"] is None
        assert cells["35-64"]["distribution"] is None
        big = cells["18-34"]
        assert big["suppressed"] is False
        assert big["n"] >= 5
        assert sum(big["counts"].values()) == big["n"]


def _readme_scoring_script() -> str:
    text = README.read_text()
    match = re.search(r"<!-- eval-score -->\s*```python\n(.*?)```", text, re.S)
    assert match, "the README shows the scoring script after <!-- eval-score -->"
    return match.group(1)


def test_the_readme_scoring_script_measures_a_models_distance_to_each_group(
    client: Client, deliberation: Deliberation, profile: ValueProfile, tmp_path: Path
) -> None:
    records = jsonl(export(client, deliberation.space.pk, "eval"))
    eval_path = tmp_path / "eval.jsonl"
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in records))
    # A made-up model that answers exactly like group A.
    answers = [{"id": r["id"], "distribution": r["groups"][0]["distribution"]} for r in records]
    answers_path = tmp_path / "answers.jsonl"
    answers_path.write_text("".join(json.dumps(a) + "\n" for a in answers))
    namespace: dict[str, Any] = {"__name__": "eval_score"}
    exec(compile(_readme_scoring_script(), "README scoring script", "exec"), namespace)

    scores = namespace["score"](str(eval_path), str(answers_path))

    assert set(scores) == {"overall", "A", "B"}
    assert scores["A"]["jensen_shannon"] == pytest.approx(0.0, abs=1e-9)
    assert scores["A"]["total_variation"] == pytest.approx(0.0, abs=1e-9)
    assert scores["B"]["jensen_shannon"] > 0.1
    assert scores["B"]["total_variation"] > 0.1
    assert 0 < scores["overall"]["jensen_shannon"] < scores["B"]["jensen_shannon"]
    assert scores["A"]["records"] == len(records)


# --- Conventions -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["constitution", "constitution-md", "preferences", "eval"])
def test_each_ai_format_has_an_etag_and_answers_304(
    client: Client, deliberation: Deliberation, profile: ValueProfile, fmt: str
) -> None:
    first = export(client, deliberation.space.pk, fmt)
    url = reverse(
        "aggregation-api:profile-version", kwargs={"space_id": deliberation.space.pk, "version": 1}
    )

    again = client.get(url, {"format": fmt}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    json_tag = export(client, deliberation.space.pk, "json")["ETag"]
    assert first["ETag"] != json_tag


def test_an_unknown_format_names_every_format(
    client: Client, deliberation: Deliberation, profile: ValueProfile
) -> None:
    url = reverse("aggregation-api:profile-latest", kwargs={"space_id": deliberation.space.pk})

    response = client.get(url, {"format": "parquet"})

    assert response.status_code == 406
    for fmt in ("constitution", "constitution-md", "preferences", "eval"):
        assert f"format={fmt}" in response.json()["detail"]


def test_the_export_schemas_are_served_and_valid(client: Client) -> None:
    for name in exports.SCHEMA_FILES:
        response = client.get(f"/api/v1/schemas/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/schema+json"
        jsonschema.Draft202012Validator.check_schema(response.json())
    assert client.get("/api/v1/schemas/nothing-1.json").status_code == 404


def test_the_openapi_document_lists_the_ai_formats_and_the_comparison(client: Client) -> None:
    doc = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    latest = doc["paths"]["/api/v1/spaces/{space_id}/profiles/latest/"]["get"]
    fmt = next(p for p in latest["parameters"] if p["name"] == "format")
    assert set(fmt["schema"]["enum"]) >= {"constitution", "constitution-md", "preferences", "eval"}
    assert "application/jsonl" in latest["responses"]["200"]["content"]
    assert "/api/v1/profiles/compare/" in doc["paths"]


@needs_shared_data
def test_every_ai_format_of_an_imported_real_conversation(client: Client) -> None:
    """vTaiwan (Uber), imported from its Pol.is export, analysed and published."""
    community = CommunityFactory.create(slug="vtaiwan")
    call_command(
        "import_polis",
        str(POLIS_DATA / "vtaiwan.uberx"),
        "--community",
        "vtaiwan",
        stdout=StringIO(),
    )
    space = Space.objects.get(community=community)
    facilitator = member_of(space, Role.OWNER)
    profile = published(space, by=facilitator)
    # An import arrives as a draft; its facilitator closes it to show the results.
    space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=facilitator)
    values = profile.content["values"]
    assert len(profile.content["opinion_groups"]) == 2

    doc = export(client, space.pk, "constitution").json()
    jsonschema.validate(doc, exports.schema("value-constitution-1.json"))
    assert len(doc["principles"]) + len(doc["divisions"]) + sum(
        doc["not_included"].values()
    ) == len(values)
    assert "## Principles" in export(client, space.pk, "constitution-md").content.decode()
    # A Pol.is conversation has votes only: no comparisons or ballots, so no pairs.
    assert jsonl(export(client, space.pk, "preferences")) == []
    records = jsonl(export(client, space.pk, "eval"))
    assert len(records) == len(values)
    schema = exports.schema("pluralistic-eval-record-1.json")
    for record, value in zip(records, values, strict=True):
        jsonschema.validate(record, schema)
        assert [
            g["distribution"]["agree"] if g["distribution"] else None for g in record["groups"]
        ] == [
            pytest.approx(g["agree_rate"]) if g["agree_rate"] is not None else None
            for g in value["groups"]
        ]


def test_a_facilitators_wording_of_a_principle_is_used_and_on_the_record(
    client: Client, deliberation: Deliberation
) -> None:
    from aggregation import services
    from aggregation.models import AnalysisRun
    from elicitation.models import ModerationAction
    from tests.aggregation.conftest import analysed

    space = deliberation.space
    facilitator = member_of(space, Role.FACILITATOR)
    run: AnalysisRun = analysed(space)
    draft = ValueProfile.objects.get(run=run)
    agreed = next(
        v for v in draft.content["values"] if v["classification"] in ("consensus", "bridging")
    )
    number = agreed["statement"]
    editor = Client()
    editor.force_login(facilitator)
    wording = "Everyone here cares about this thing, and so should any model."

    edited = editor.patch(
        f"/api/v1/profiles/{draft.pk}/editorial/",
        {"principles": {str(number): wording}},
        content_type="application/json",
    )
    services.profile_publish(profile=draft, actor=facilitator)

    assert edited.status_code == 200, edited.content
    assert edited.json()["principle_wordings"] == {str(number): wording}
    doc = export(client, space.pk, "constitution").json()
    principle = next(p for p in doc["principles"] if p["source"]["statement"] == number)
    assert principle["text"] == wording
    assert principle["wording"] == "edited"
    assert principle["statement_text"] == agreed["text"]
    others = [p for p in doc["principles"] if p["source"]["statement"] != number]
    assert all(p["wording"] == "as_written" for p in others)
    profile_json = export(client, space.pk, "json").json()
    value = next(v for v in profile_json["values"] if v["statement"] == number)
    assert value["text"] == agreed["text"]
    assert value["principle"] == {"text": wording}
    entry = ModerationAction.objects.get(
        space=space, action=ModerationAction.Action.REWORD_PRINCIPLE
    )
    assert entry.profile_version == 1
    assert wording in entry.reason
    assert entry.detail["statement_text"] == agreed["text"]
    assert "edited by a facilitator" in export(client, space.pk, "constitution-md").content.decode()
