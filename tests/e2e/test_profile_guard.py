"""The review page warns before anyone presses publish on a draft the space has outgrown."""

from __future__ import annotations

import os
from typing import Any

import pytest

from aggregation.models import ValueProfile
from communities.roles import Role
from elicitation import services as elicitation_services
from elicitation.models import Statement
from tests.aggregation.conftest import analysed
from tests.aggregation.data import populate
from tests.e2e.axe import assert_accessible
from tests.factories import MembershipFactory, SpaceFactory, UserFactory
from tests.requirements import needs_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at: set SCREENSHOT_DIR to keep them.
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


@needs_axe
@pytest.mark.parametrize("width", [1280, 390])
def test_the_review_page_warns_of_a_removed_statement_and_offers_the_rerun(
    page: Any, log_in: Any, width: int
) -> None:
    space = SpaceFactory.create(title="Park futures")
    populate(space, participants=16, statements=6, accounts=0)
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    analysed(space)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, facilitator)

    page.goto(f"/profiles/{draft.pk}/review/")
    assert page.get_by_role("button", name="Publish this profile").is_visible()
    assert page.get_by_role("alert").count() == 0
    elicitation_services.statement_moderate(
        statement=Statement.objects.get(space=space, number=6),
        actor=facilitator,
        decision="reject",
        reason="Abusive",
    )

    page.reload()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "This draft cannot be published" in alert.inner_text()
    assert "#6 was removed." in alert.inner_text()
    assert page.get_by_role("button", name="Publish this profile").count() == 0
    rerun = page.get_by_role("button", name="Re-run the analysis and review")
    assert rerun.is_visible()
    # Nothing overflows the narrow screen sideways except inside scrolling tables.
    wide = page.evaluate(
        """(w) => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap'))
            .map(e => e.tagName + '.' + e.className + ' ' + (e.id || ''))""",
        width,
    )
    assert not wide, wide
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"review-stale-{width}.png"), full_page=False)
    assert_accessible(page, name=f"the review page of a stale draft at {width} px")

    rerun.click()
    page.wait_for_url("**/analysis/runs/*/")
    draft.refresh_from_db()
    assert draft.status == ValueProfile.Status.DRAFT


@needs_axe
def test_the_review_form_for_summary_notes_and_exclusions_is_usable(page: Any, log_in: Any) -> None:
    space = SpaceFactory.create(title="Park futures")
    populate(space, participants=16, statements=6, accounts=0)
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    analysed(space)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    log_in(page, facilitator)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/profiles/{draft.pk}/review/")
        page.get_by_label("Summary (public)").fill("The park should stay green.")
        page.get_by_label("Note on #6").fill("Raised at every meeting.")
        page.locator("#exclude-1").check()
        page.get_by_label("Why #1 is left out").fill("Asked twice in other words.")
        page.get_by_role("button", name="Save summary, notes and exclusions").click()
        page.get_by_text("Summary, notes and exclusions saved.").wait_for()
        if SHOTS:
            page.locator("section[aria-labelledby=edit-title]").screenshot(
                path=os.path.join(SHOTS, f"review-edit-{width}.png")
            )
        assert_accessible(page, name=f"the review page with its edit form at {width} px")
    draft.refresh_from_db()
    assert draft.summary == "The park should stay green."
    assert draft.value_notes == {"6": "Raised at every meeting."}
    assert draft.exclusions == {"1": "Asked twice in other words."}
    page.get_by_role("button", name="Publish this profile").click()
    page.get_by_text("Published as version 1.").wait_for()
    page.goto(f"/s/{space.pk}/profile/")
    assert page.get_by_role("heading", name="Summary").is_visible()
    assert page.get_by_role("heading", name="Left out by the facilitators").is_visible()
    assert page.get_by_text("Note: Raised at every meeting.").is_visible()
