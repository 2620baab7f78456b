"""A value profile people can trust: the publication guard, small numbers, the
facilitators' summary, notes and exclusions, all through the HTTP interface."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aggregation import profiles
from aggregation.models import AnalysisRun, ValueProfile
from communities.models import SegmentQuestion
from communities.roles import Role
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.aggregation.conftest import analysed, member_of
from tests.aggregation.data import Deliberation

pytestmark = pytest.mark.django_db


def facilitator_client(space: Space) -> Client:
    client = Client()
    client.force_login(member_of(space, Role.FACILITATOR))
    return client


def draft_of(space: Space) -> ValueProfile:
    return ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)


def moderate(client: Client, space: Space, number: int, **data: Any) -> None:
    response = client.post(
        f"/api/v1/spaces/{space.pk}/statements/{number}/moderate/",
        data,
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def publish_api(client: Client, profile: ValueProfile) -> Any:
    return client.post(
        reverse("aggregation-api:profile-publish", kwargs={"profile_id": profile.pk})
    )


def latest_json(space: Space) -> dict[str, Any]:
    response = Client().get(
        reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk})
    )
    assert response.status_code == 200
    return response.json()


def all_numbers(content: dict[str, Any]) -> set[int]:
    """Every statement number the profile mentions anywhere."""
    numbers = {v["statement"] for v in content["values"]}
    numbers |= {v["statement"] for v in content.get("too_few_votes", [])}
    numbers |= {v["statement"] for v in content.get("excluded", [])}
    numbers |= {r["statement"] for g in content["opinion_groups"] for r in g["representative"]}
    return numbers


# --- The publication guard --------------------------------------------------------


def test_a_draft_built_before_a_removal_is_refused_over_the_api_with_409(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)
    moderate(client, space, 8, decision="reject", reason="Abusive")

    response = publish_api(client, draft)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "profile_stale"
    assert body["changes"] == [{"statement": 8, "change": "removed", "message": "#8 was removed."}]
    assert "Run the analysis again" in body["detail"]
    assert body["rerun"] == f"/api/v1/spaces/{space.pk}/runs/"
    draft.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT
    assert draft.version is None
    assert not ModerationAction.objects.filter(
        space=space, action=ModerationAction.Action.PUBLISH_PROFILE
    ).exists()
    assert (
        Client()
        .get(reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk}))
        .status_code
        == 404
    )


def test_after_a_rerun_the_published_profile_never_contains_the_removed_statement(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    moderate(client, space, 8, decision="reject", reason="Abusive")
    assert publish_api(client, draft_of(space)).status_code == 409

    analysed(space)
    response = publish_api(client, draft_of(space))

    assert response.status_code == 200
    content = latest_json(space)
    assert 8 not in all_numbers(content)
    assert "thing 8" not in str(content)
    md = Client().get(
        reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk}),
        {"format": "md"},
    )
    assert "thing 8" not in md.content.decode()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("meta", "marked_meta"),
        ("restore", "restored"),
        ("edit", "edited"),
        ("segments", "segments"),
        ("min_voters", "min_voters"),
    ],
)
def test_every_change_that_alters_the_profile_makes_the_draft_stale(
    deliberation: Deliberation, change: str, expected: str
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    if change == "restore":
        moderate(client, space, 3, decision="reject", reason="Off topic")
    analysed(space)
    statement = Statement.objects.get(space=space, number=3)
    if change == "meta":
        Statement.objects.filter(pk=statement.pk).update(is_meta=True)
    elif change == "restore":
        moderate(client, space, 3, decision="restore")
    elif change == "edit":
        Statement.objects.filter(pk=statement.pk).update(text="Something else entirely")
    elif change == "segments":
        SegmentQuestion.objects.create(community=space.community, label="Age", choices=["<30"])
    else:
        Space.objects.filter(pk=space.pk).update(min_voters=30)

    response = publish_api(client, draft_of(space))

    assert response.status_code == 409
    assert [c["change"] for c in response.json()["changes"]] == [expected]


def test_statements_approved_or_added_since_the_run_do_not_block(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    Statement.objects.filter(space=space, number=2).update(status=ModerationStatus.PENDING)
    analysed(space)
    moderate(client, space, 2, decision="approve")
    Statement.objects.create(
        space=space, number=9, text="New", normalized_text="new", status="accepted"
    )

    assert publish_api(client, draft_of(space)).status_code == 200


def test_a_draft_of_a_run_without_a_recorded_basis_is_still_checked(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    run = analysed(space)
    AnalysisRun.objects.filter(pk=run.pk).update(basis={})  # a run from before the basis
    moderate(client, space, 7, decision="reject", reason="Spam")

    response = publish_api(client, draft_of(space))

    assert response.status_code == 409
    assert response.json()["changes"][0]["statement"] == 7


def test_the_review_page_warns_and_the_browser_publish_is_refused_with_409(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)
    review_url = reverse("aggregation:profile-review", kwargs={"profile_id": draft.pk})
    assert "cannot be published" not in client.get(review_url).content.decode()
    moderate(client, space, 8, decision="reject", reason="Abusive")

    page = client.get(review_url).content.decode()
    assert "This draft cannot be published" in page
    assert "#8 was removed." in page
    assert "Re-run the analysis and review" in page
    assert "Publish this profile" not in page

    response = client.post(reverse("aggregation:profile-publish", kwargs={"profile_id": draft.pk}))
    assert response.status_code == 409
    assert "Run the analysis again" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT


# --- Small numbers ----------------------------------------------------------------


def add_thin_statement(space: Space, number: int, voters: int) -> None:
    """A statement only `voters` people voted on, all agreeing."""
    statement = Statement.objects.create(
        space=space,
        number=number,
        text=f"Thin statement {number}",
        normalized_text=f"thin statement {number}",
        status=ModerationStatus.ACCEPTED,
    )
    when = timezone.now() - timedelta(minutes=5)
    for person in Participant.objects.filter(space=space).order_by("number")[:voters]:
        VoteEvent.objects.create(participant=person, statement=statement, value=1, created_at=when)
        Vote.objects.create(participant=person, statement=statement, value=1, updated_at=when)


def test_a_statement_below_the_minimum_is_too_few_votes_to_say_never_ranked(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    add_thin_statement(space, 9, voters=1)
    add_thin_statement(space, 10, voters=4)
    add_thin_statement(space, 11, voters=5)
    client = facilitator_client(space)
    analysed(space)
    assert publish_api(client, draft_of(space)).status_code == 200

    content = latest_json(space)
    jsonschema.validate(content, profiles.json_schema())
    ranked = {v["statement"]: v for v in content["values"]}
    assert 9 not in ranked
    assert 10 not in ranked
    assert [(f["statement"], f["votes"]) for f in content["too_few_votes"]] == [(9, 1), (10, 4)]
    assert content["minimum_voters"] == 5
    assert all(v["support"]["votes"] >= 5 for v in content["values"])
    # Five agrees out of five is not certainty: the Wilson interval says so.
    low, high = ranked[11]["support"]["agree_rate_interval"]
    assert ranked[11]["support"]["agree_rate"] == 1.0
    assert high == 1.0
    assert low < 0.6
    page = Client().get(reverse("aggregation:profile", kwargs={"space_id": space.pk}))
    html = page.content.decode()
    assert "Too few votes to say" in html
    assert "Thin statement 9" in html
    rows = list(
        csv.DictReader(
            io.StringIO(
                Client()
                .get(
                    reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk}),
                    {"format": "csv"},
                )
                .content.decode()
            )
        )
    )
    assert [(r["statement"], r["listed"], r["rank"]) for r in rows if r["listed"] != "ranked"] == [
        ("9", "too_few_votes", ""),
        ("10", "too_few_votes", ""),
    ]


def test_the_minimum_is_the_spaces_own_setting(deliberation: Deliberation) -> None:
    space = deliberation.space
    Space.objects.filter(pk=space.pk).update(min_voters=25)  # everyone voted: 24 people
    run = analysed(space)

    content = draft_of(space).content
    assert run.parameters["min_voters"] == 25
    assert content["values"] == []
    assert len(content["too_few_votes"]) == 8
    assert run.result is not None
    assert all(e["classification"] == "uncertain" for e in run.result["statements"].values())


def test_a_well_supported_value_ranks_above_a_thin_unanimous_one(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    add_thin_statement(space, 9, voters=5)
    analysed(space)

    values = draft_of(space).content["values"]
    order = [v["statement"] for v in values]
    # 7 and 8 are the planted consensus (about 92% of 24 agree).
    assert order.index(9) > order.index(7)
    assert order.index(9) > order.index(8)


# --- Summary, notes and exclusions ---------------------------------------------------


def edit_api(client: Client, profile: ValueProfile, data: dict[str, Any]) -> Any:
    return client.patch(
        reverse("aggregation-api:profile-edit", kwargs={"profile_id": profile.pk}),
        data,
        content_type="application/json",
    )


def test_summary_notes_and_exclusions_are_published_in_every_format_and_logged(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)

    response = edit_api(
        client,
        draft,
        {
            "summary": "Riverside agrees on the river, and splits on parking.",
            "notes": {"7": "Said most often in the open meeting."},
            "exclusions": {"1": "Duplicates #3 in other words."},
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["exclusions"] == {"1": "Duplicates #3 in other words."}
    assert publish_api(client, draft).status_code == 200

    content = latest_json(space)
    jsonschema.validate(content, profiles.json_schema())
    assert content["summary"] == "Riverside agrees on the river, and splits on parking."
    by_number = {v["statement"]: v for v in content["values"]}
    assert by_number[7]["note"] == "Said most often in the open meeting."
    assert by_number[8]["note"] is None
    assert 1 not in by_number
    assert [v["rank"] for v in content["values"]] == list(range(1, 8))
    assert content["excluded"] == [
        {
            "statement": 1,
            "text": deliberation.statements[0].text,
            "reason": "Duplicates #3 in other words.",
        }
    ]
    url = reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk})
    md = Client().get(url, {"format": "md"}).content.decode()
    assert "## Summary" in md
    assert "Riverside agrees on the river" in md
    assert "*Note:* Said most often in the open meeting." in md
    assert "## Left out by the facilitators" in md
    assert "Duplicates \\#3 in other words." in md
    rows = list(csv.DictReader(io.StringIO(Client().get(url, {"format": "csv"}).content.decode())))
    assert {r["statement"]: r["note"] for r in rows if r["listed"] == "ranked"}["7"] == (
        "Said most often in the open meeting."
    )
    assert [(r["statement"], r["excluded_reason"]) for r in rows if r["listed"] == "excluded"] == [
        ("1", "Duplicates #3 in other words.")
    ]
    assert [r["text"] for r in rows if r["listed"] == "summary"] == [content["summary"]]
    published_profile = ValueProfile.objects.get(space=space, version=1)
    assert published_profile.diff is not None
    assert published_profile.diff["excluded"] == [
        {
            "statement": 1,
            "text": deliberation.statements[0].text,
            "reason": "Duplicates #3 in other words.",
        }
    ]
    left_out = ModerationAction.objects.get(
        space=space, action=ModerationAction.Action.EXCLUDE_VALUE
    )
    assert left_out.statement is not None
    assert (left_out.statement.number, left_out.reason, left_out.profile_version) == (
        1,
        "Duplicates #3 in other words.",
        1,
    )
    assert left_out.actor_role == "facilitator"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"exclusions": {"2": ""}}, "exclusions", "say why it is left out"),
        ({"notes": {"99": "hello"}}, "notes", "#99 is not a value of this draft"),
        ({"notes": {"2": "x" * 501}}, "notes", "500"),
    ],
)
def test_bad_edits_are_refused_with_the_field_and_change_nothing(
    deliberation: Deliberation, data: dict[str, Any], field: str, message: str
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)

    response = edit_api(client, draft, data)

    assert response.status_code == 400
    assert message in str(response.json()[field])
    draft.refresh_from_db()
    assert (draft.value_notes, draft.exclusions) == ({}, {})


def test_a_published_version_cannot_be_edited_and_members_cannot_edit(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)
    member = Client()
    member.force_login(member_of(space))
    assert edit_api(member, draft, {"summary": "mine"}).status_code in (403, 404)
    assert publish_api(client, draft).status_code == 200

    response = edit_api(client, draft, {"summary": "Too late"})

    # The draft's state forbids it: a conflict (409), not bad input.
    assert response.status_code == 409
    assert response.json()["code"] == "profile_not_draft"
    draft.refresh_from_db()
    assert draft.summary == ""


def test_the_review_form_saves_notes_and_exclusions_and_a_rerun_keeps_them(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)
    response = client.post(
        reverse("aggregation:profile-edit", kwargs={"profile_id": draft.pk}),
        {
            "summary": "Short summary.",
            "note-8": "Check with the council.",
            "exclude-2": "1",
            "reason-2": "Out of scope for this question.",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("aggregation:profile-review", kwargs={"profile_id": draft.pk}))
    html = page.content.decode()
    assert "Short summary." in html
    assert "Check with the council." in html
    assert "Out of scope for this question." in html

    analysed(space)
    again = draft_of(space)
    assert again.pk != draft.pk
    assert again.summary == "Short summary."
    assert again.value_notes == {"8": "Check with the council."}
    assert again.exclusions == {"2": "Out of scope for this question."}


def test_excluding_without_a_reason_in_the_form_is_refused(deliberation: Deliberation) -> None:
    space = deliberation.space
    client = facilitator_client(space)
    analysed(space)
    draft = draft_of(space)

    response = client.post(
        reverse("aggregation:profile-edit", kwargs={"profile_id": draft.pk}),
        {"summary": "", "exclude-2": "1", "reason-2": "  "},
    )

    assert response.status_code == 400
    assert "say why it is left out" in response.content.decode()
    draft.refresh_from_db()
    assert draft.exclusions == {}
