from __future__ import annotations

import jsonschema
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aggregation import profiles, selectors, services
from aggregation.models import ValueProfile
from communities.roles import Role
from config.exceptions import Conflict
from elicitation.models import ModerationAction, ModerationStatus, Statement
from tests.aggregation.conftest import analysed, member_of, published
from tests.aggregation.data import Deliberation, cast_vote

pytestmark = pytest.mark.django_db


def test_a_succeeded_run_leaves_a_valid_draft(deliberation: Deliberation) -> None:
    run = analysed(deliberation.space)

    draft = ValueProfile.objects.get(run=run)
    assert draft.status == ValueProfile.Status.DRAFT
    assert draft.version is None
    jsonschema.validate(draft.content, profiles.json_schema())
    assert draft.content["provenance"]["input_fingerprint"] == run.input_fingerprint
    assert draft.content["provenance"]["analysis_run"] == run.pk
    assert len(draft.content["values"]) == 8


def test_values_come_in_order_of_cautious_bridging_support_with_their_figures(
    deliberation: Deliberation,
) -> None:
    analysed(deliberation.space)
    content = ValueProfile.objects.get().content

    # The low end of the bridging interval: support that is not just luck.
    cautious = [v["bridging"]["interval"][0] for v in content["values"]]
    assert cautious == sorted(cautious, reverse=True)
    assert [v["rank"] for v in content["values"]] == list(range(1, 9))
    top = content["values"][0]
    assert top["statement"] in (7, 8)
    assert top["classification"] == "consensus"
    assert top["support"]["agree_rate_interval"][0] <= top["support"]["agree_rate"]
    assert top["pairwise"]["score"] > 50
    assert set(top["rankings"]) >= {"borda", "schulze", "instant_runoff"}
    assert len(top["groups"]) == 2
    divisive = [v for v in content["values"] if v["statement"] in (1, 4, 5)]
    assert {v["classification"] for v in divisive} <= {"divisive", "uncertain", "group-defining"}
    assert content["opinion_groups"][0]["representative"][0]["text"]


def test_rejected_and_meta_statements_stay_out_of_the_values(
    deliberation: Deliberation,
) -> None:
    Statement.objects.filter(pk=deliberation.statements[0].pk).update(
        status=ModerationStatus.REJECTED
    )
    Statement.objects.filter(pk=deliberation.statements[1].pk).update(is_meta=True)

    analysed(deliberation.space)

    numbers = {v["statement"] for v in ValueProfile.objects.get().content["values"]}
    assert numbers == {3, 4, 5, 6, 7, 8}


def test_a_newer_draft_replaces_the_unreviewed_one(deliberation: Deliberation) -> None:
    analysed(deliberation.space)
    second = analysed(deliberation.space)

    assert list(ValueProfile.objects.values_list("run_id", flat=True)) == [second.pk]


def test_publishing_numbers_versions_and_logs_the_decision(deliberation: Deliberation) -> None:
    facilitator = member_of(deliberation.space, Role.FACILITATOR)

    first = published(deliberation.space, by=facilitator)
    second = published(deliberation.space, by=facilitator)

    assert (first.version, second.version) == (1, 2)
    assert second.status == ValueProfile.Status.PUBLISHED
    assert second.approved_by == facilitator
    assert second.approved_role == Role.FACILITATOR
    assert second.content["version"] == 2
    assert second.content["status"] == "published"
    assert second.content["approved_by"] == {"role": "facilitator"}
    assert second.content["published_at"]
    jsonschema.validate(second.content, profiles.json_schema())
    log = ModerationAction.objects.filter(
        space=deliberation.space, action=ModerationAction.Action.PUBLISH_PROFILE
    ).order_by("profile_version")
    assert [d.profile_version for d in log] == [1, 2]
    assert log[0].actor == facilitator


def test_the_first_version_diffs_against_nothing(deliberation: Deliberation) -> None:
    first = published(deliberation.space)

    assert first.diff is not None
    assert first.diff["against_version"] is None
    assert len(first.diff["added"]) == 8
    assert first.diff["removed"] == []


def test_the_diff_shows_values_added_removed_moved_and_reclassified(
    deliberation: Deliberation,
) -> None:
    published(deliberation.space)
    # Statement 2 is removed by moderation, a new one arrives, and everyone
    # now agrees with statement 1, which moves it up and changes its class.
    Statement.objects.filter(pk=deliberation.statements[1].pk).update(
        status=ModerationStatus.REJECTED
    )
    new = Statement.objects.create(
        space=deliberation.space,
        number=9,
        text="A brand new value",
        normalized_text="a brand new value",
        status=ModerationStatus.ACCEPTED,
    )
    for person in deliberation.participants:
        cast_vote(person, deliberation.statements[0], 1)
        cast_vote(person, new, -1 if person.number % 3 else 1)

    second = published(deliberation.space)

    diff = second.diff
    assert diff is not None
    assert diff["against_version"] == 1
    assert [d["statement"] for d in diff["added"]] == [9]
    assert [d["statement"] for d in diff["removed"]] == [2]
    assert 1 in [d["statement"] for d in diff["moved_up"]]
    changed = {d["statement"]: d for d in diff["changed_class"]}
    assert changed[1]["to"] == "consensus"


def test_only_facilitators_and_owners_may_publish(deliberation: Deliberation) -> None:
    # Who may publish is decided by the selector the pages and the API call
    # before the service (the permission convention); the service trusts it.
    analysed(deliberation.space)
    draft = ValueProfile.objects.get()

    with pytest.raises(PermissionDenied):
        selectors.profile_get_for_publisher(user=member_of(deliberation.space), profile_id=draft.pk)

    draft.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT
    assert not ModerationAction.objects.exists()
    owner = member_of(deliberation.space, Role.OWNER)
    allowed = selectors.profile_get_for_publisher(user=owner, profile_id=draft.pk)
    assert services.profile_publish(profile=allowed, actor=owner).version == 1


def test_a_profile_cannot_be_published_twice(deliberation: Deliberation) -> None:
    profile = published(deliberation.space)

    with pytest.raises(Conflict, match="already published") as excinfo:
        services.profile_publish(
            profile=profile, actor=member_of(deliberation.space, Role.FACILITATOR)
        )
    assert excinfo.value.code == "profile_not_draft"


def test_retracting_needs_a_reason_and_is_logged(deliberation: Deliberation) -> None:
    facilitator = member_of(deliberation.space, Role.FACILITATOR)
    profile = published(deliberation.space, by=facilitator)

    with pytest.raises(ValidationError) as excinfo:
        services.profile_retract(profile=profile, actor=facilitator, reason="   ")
    assert "reason" in excinfo.value.message_dict

    retracted = services.profile_retract(
        profile=profile, actor=facilitator, reason="Counted a test account by mistake."
    )

    assert retracted.status == ValueProfile.Status.RETRACTED
    assert retracted.content["status"] == "retracted"
    assert retracted.content["retraction_reason"] == "Counted a test account by mistake."
    jsonschema.validate(retracted.content, profiles.json_schema())
    decision = ModerationAction.objects.get(action=ModerationAction.Action.RETRACT_PROFILE)
    assert decision.profile_version == 1
    assert decision.reason == "Counted a test account by mistake."
    with pytest.raises(Conflict, match="Only a published"):
        services.profile_retract(profile=retracted, actor=facilitator, reason="again")


def test_after_a_retraction_the_next_version_still_counts_up(deliberation: Deliberation) -> None:
    facilitator = member_of(deliberation.space, Role.FACILITATOR)
    first = published(deliberation.space, by=facilitator)
    services.profile_retract(profile=first, actor=facilitator, reason="Wrong data.")

    second = published(deliberation.space, by=facilitator)

    assert second.version == 2
    # Nothing published stands before it, so it diffs against nothing.
    assert second.diff is not None
    assert second.diff["against_version"] is None


def test_segments_report_cells_of_five_or_more_and_suppress_smaller_ones(
    deliberation: Deliberation,
) -> None:
    from tests.aggregation.data import add_segment

    # 6 accounts: 5 in the north, 1 in the south.
    add_segment(
        deliberation.space, deliberation.users, label="Region", choices={"North": 5, "South": 1}
    )

    analysed(deliberation.space)

    segments = {s["choice"]: s for s in ValueProfile.objects.get().content["segments"]}
    assert segments["North"]["participants"] == 5
    assert segments["North"]["suppressed"] is False
    assert all(rate is not None for rate in segments["North"]["agree_rates"].values())
    assert segments["South"] == {
        "question": "Region",
        "choice": "South",
        "participants": None,
        "suppressed": True,
        "agree_rates": {},
    }
