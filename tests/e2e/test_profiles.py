"""A facilitator runs, reviews, publishes and retracts a profile in the browser; a participant reads it."""

from __future__ import annotations

from typing import Any

import pytest

from aggregation.models import AnalysisRun, ValueProfile
from communities.roles import Role
from elicitation.models import ModerationAction
from tests.aggregation.data import populate
from tests.conftest import CeleryWorker
from tests.factories import MembershipFactory, SpaceFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_runs_reviews_publishes_and_retracts_a_profile(
    page: Any, browser: Any, live_server: Any, log_in: Any, celery_worker: CeleryWorker
) -> None:
    space = SpaceFactory.create(title="Park futures")
    populate(space, participants=16, statements=6, accounts=0)
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    log_in(page, facilitator)

    page.goto(f"/s/{space.pk}/analysis/")
    page.get_by_role("button", name="Run analysis now").click()

    # The progress page polls itself (htmx) until the worker is done.
    page.wait_for_url("**/analysis/runs/*/")
    review = page.get_by_role("link", name="Review the profile")
    try:
        review.wait_for(timeout=120_000)
    except Exception:
        run = AnalysisRun.objects.get(space=space)
        pytest.fail(f"run {run.status}/{run.stage}: {run.error}\n{celery_worker.log()[-3000:]}")
    review.click()

    page.get_by_role("heading", name="What publishing would change").wait_for()
    page.get_by_role("button", name="Publish this profile").click()
    page.get_by_text("Published as version 1.").wait_for()
    profile = ValueProfile.objects.get(space=space)
    assert profile.version == 1
    assert profile.status == ValueProfile.Status.PUBLISHED

    # Anyone can read the published profile of a public community.
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(f"/s/{space.pk}/profile/")
    visitor.get_by_role("heading", name="Park futures: value profile").wait_for()
    rows = visitor.locator("li.value-card")
    assert rows.count() == 6
    assert visitor.get_by_role("heading", name="Opinion groups").is_visible()
    assert visitor.get_by_role(
        "heading", name="Ranked ballots: the rules side by side"
    ).is_visible()
    visitor.emulate_media(media="print")
    assert visitor.get_by_role("button", name="Print").is_hidden()
    visitor.context.close()

    page.get_by_label("Reason for retracting (public)").fill("We asked the wrong question.")
    page.get_by_role("button", name="Retract version 1").click()
    page.get_by_text("Version 1 retracted.").wait_for()
    profile.refresh_from_db()
    assert profile.status == ValueProfile.Status.RETRACTED
    assert ModerationAction.objects.filter(
        space=space,
        action=ModerationAction.Action.RETRACT_PROFILE,
        reason="We asked the wrong question.",
    ).exists()
