from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from aggregation import analysis, services
from aggregation.models import AnalysisRun, ValueProfile
from communities.models import Community
from communities.roles import Role
from elicitation.models import ModerationAction
from tests.aggregation.conftest import analysed, member_of, published
from tests.aggregation.data import Deliberation, populate
from tests.factories import CommunityFactory, SpaceFactory

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def facilitator(deliberation: Deliberation) -> Client:
    return logged_in(member_of(deliberation.space, Role.FACILITATOR))


def test_a_facilitator_requests_a_run_with_the_button_and_lands_on_its_progress(
    deliberation: Deliberation, facilitator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    page = facilitator.get(
        reverse("aggregation:space-analysis", kwargs={"space_id": deliberation.space.pk})
    )
    assert page.status_code == 200
    assert "Run analysis now" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = facilitator.post(
            reverse("aggregation:run-request", kwargs={"space_id": deliberation.space.pk})
        )

    run = AnalysisRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("aggregation:run", kwargs={"run_id": run.pk})
    assert run.trigger == AnalysisRun.Trigger.MANUAL
    progress = facilitator.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in progress
    assert "Queued" in progress


def test_asking_again_while_a_run_is_active_leads_to_that_run(
    deliberation: Deliberation, facilitator: Client
) -> None:
    run = services.run_request(space=deliberation.space, trigger="auto")
    assert run is not None

    response = facilitator.post(
        reverse("aggregation:run-request", kwargs={"space_id": deliberation.space.pk})
    )

    assert response["Location"] == reverse("aggregation:run", kwargs={"run_id": run.pk})
    assert AnalysisRun.objects.count() == 1


def test_the_progress_partial_shows_the_stage_and_stops_polling_when_done(
    deliberation: Deliberation, facilitator: Client
) -> None:
    run = services.run_request(space=deliberation.space, trigger="manual")
    assert run is not None
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.RUNNING, stage=AnalysisRun.Stage.BRIDGING
    )
    url = reverse("aggregation:run", kwargs={"run_id": run.pk})

    running = facilitator.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert running.lstrip().startswith('<section id="run-status"')
    assert "<html" not in running
    assert "Bridging (now)" in running
    assert 'hx-trigger="every 2s"' in running

    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.QUEUED)
    services.run_execute(run_id=run.pk)
    done = facilitator.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert "Succeeded" in done
    draft = ValueProfile.objects.get(run=run)
    assert reverse("aggregation:profile-review", kwargs={"profile_id": draft.pk}) in done


def test_a_failed_run_shows_its_reason_to_facilitators(
    deliberation: Deliberation, facilitator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("out of memory while fitting")

    monkeypatch.setattr(analysis, "analyze_snapshot", broken)
    run = services.run_request(space=deliberation.space, trigger="manual")
    assert run is not None
    services.run_execute(run_id=run.pk)

    page = facilitator.get(reverse("aggregation:run", kwargs={"run_id": run.pk}))
    listing = facilitator.get(
        reverse("aggregation:space-analysis", kwargs={"space_id": deliberation.space.pk})
    )

    assert "The analysis failed." in page.content.decode()
    assert "out of memory while fitting" in page.content.decode()
    assert "out of memory while fitting" in listing.content.decode()


def test_members_cannot_see_runs_or_request_them(deliberation: Deliberation) -> None:
    run = analysed(deliberation.space)
    member = logged_in(member_of(deliberation.space))

    assert (
        member.get(
            reverse("aggregation:space-analysis", kwargs={"space_id": deliberation.space.pk})
        ).status_code
        == 403
    )
    assert member.get(reverse("aggregation:run", kwargs={"run_id": run.pk})).status_code == 403
    assert (
        member.post(
            reverse("aggregation:run-request", kwargs={"space_id": deliberation.space.pk})
        ).status_code
        == 403
    )
    anonymous = Client().get(
        reverse("aggregation:space-analysis", kwargs={"space_id": deliberation.space.pk})
    )
    assert anonymous.status_code == 302
    assert AnalysisRun.objects.count() == 1


def test_the_analysis_page_needs_few_queries(
    deliberation: Deliberation, facilitator: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        published(deliberation.space)
    analysed(deliberation.space)

    with django_assert_max_num_queries(12):
        response = facilitator.get(
            reverse("aggregation:space-analysis", kwargs={"space_id": deliberation.space.pk})
        )

    assert response.status_code == 200
    assert response.content.decode().count("Review and publish") == 1


def test_a_facilitator_reviews_the_diff_and_publishes(
    deliberation: Deliberation, facilitator: Client
) -> None:
    analysed(deliberation.space)
    draft = ValueProfile.objects.get()
    review_url = reverse("aggregation:profile-review", kwargs={"profile_id": draft.pk})

    review = facilitator.get(review_url).content.decode()
    assert "What publishing would change" in review
    assert "The first version: nothing to compare with." not in review  # 8 values are added
    assert review.count("added") >= 8
    assert "Publish this profile" in review

    response = facilitator.post(
        reverse("aggregation:profile-publish", kwargs={"profile_id": draft.pk})
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 1
    assert draft.status == ValueProfile.Status.PUBLISHED
    after = facilitator.get(review_url).content.decode()
    assert "Retract version 1" in after
    assert "by a facilitator" in after
    assert "Published a value profile" in after


def test_retracting_without_a_reason_is_refused_with_a_message(
    deliberation: Deliberation, facilitator: Client
) -> None:
    profile = published(deliberation.space)
    url = reverse("aggregation:profile-retract", kwargs={"profile_id": profile.pk})

    refused = facilitator.post(url, {"reason": ""})
    profile.refresh_from_db()
    assert refused.status_code == 400
    assert "Say why the profile is retracted" in refused.content.decode()
    assert profile.status == ValueProfile.Status.PUBLISHED

    done = facilitator.post(url, {"reason": "The question was misleading."})
    profile.refresh_from_db()
    assert done.status_code == 302
    assert profile.status == ValueProfile.Status.RETRACTED
    assert ModerationAction.objects.filter(
        action=ModerationAction.Action.RETRACT_PROFILE, reason="The question was misleading."
    ).exists()


def test_members_cannot_review_publish_or_retract(deliberation: Deliberation) -> None:
    profile = published(deliberation.space)
    analysed(deliberation.space)
    draft = ValueProfile.objects.get(status=ValueProfile.Status.DRAFT)
    member = logged_in(member_of(deliberation.space))

    assert (
        member.get(
            reverse("aggregation:profile-review", kwargs={"profile_id": draft.pk})
        ).status_code
        == 403
    )
    assert (
        member.post(
            reverse("aggregation:profile-publish", kwargs={"profile_id": draft.pk})
        ).status_code
        == 403
    )
    assert (
        member.post(
            reverse("aggregation:profile-retract", kwargs={"profile_id": profile.pk}),
            {"reason": "x"},
        ).status_code
        == 403
    )
    draft.refresh_from_db()
    profile.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT
    assert profile.status == ValueProfile.Status.PUBLISHED


def test_anyone_reads_a_public_profile_page_with_values_groups_and_rules(
    deliberation: Deliberation, client: Client
) -> None:
    published(deliberation.space)
    second = published(deliberation.space)

    page = client.get(reverse("aggregation:profile", kwargs={"space_id": deliberation.space.pk}))

    html = page.content.decode()
    assert page.status_code == 200
    assert "value profile" in html
    space_page = client.get(
        reverse("elicitation:space", kwargs={"space_id": deliberation.space.pk})
    )
    assert reverse("aggregation:profile", kwargs={"space_id": deliberation.space.pk}) in (
        space_page.content.decode()
    )
    assert "Version 2" in html
    for value in second.content["values"]:
        assert value["text"] in html
    assert 'class="badge badge-consensus"' in html
    assert "Opinion groups" in html
    assert "Group A" in html
    assert "Group B" in html
    assert "the rules side by side" in html
    assert "Schulze" in html
    assert "?format=csv" in html
    assert "Changes since version 1" in html
    assert (
        client.get(
            reverse(
                "aggregation:profile-version",
                kwargs={"space_id": deliberation.space.pk, "version": 1},
            )
        ).status_code
        == 200
    )


def test_a_private_profile_page_is_for_members_only() -> None:
    space = SpaceFactory.create(
        community=CommunityFactory.create(visibility=Community.Visibility.PRIVATE)
    )
    populate(space, participants=8, statements=3)
    published(space)
    url = reverse("aggregation:profile", kwargs={"space_id": space.pk})

    assert Client().get(url).status_code == 404
    assert logged_in(member_of(space)).get(url).status_code == 200


def test_a_space_without_a_published_profile_has_no_profile_page(
    deliberation: Deliberation, client: Client
) -> None:
    analysed(deliberation.space)

    response = client.get(
        reverse("aggregation:profile", kwargs={"space_id": deliberation.space.pk})
    )

    assert response.status_code == 404
    assert "No value profile yet" in response.content.decode()
