"""The report, the dashboard and "where you stand" in Chromium at desktop and phone widths.

Each page is checked for its content (marks on the map against the table
beside it), for horizontal overflow, and with axe-core; a screenshot of each
page at each width is saved under var/artifacts/ (git-ignored) for people to
look at.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from aggregation import analysis, services
from aggregation.models import AnalysisRun
from communities.models import Community
from communities.roles import Role
from elicitation.models import ModerationAction, ModerationStatus, Space, Statement
from tests.aggregation.data import Deliberation, populate
from tests.e2e.axe import assert_accessible
from tests.factories import CommunityFactory, MembershipFactory, SpaceFactory, UserFactory
from tests.requirements import REPO, needs_axe, polis_folder

pytestmark = [pytest.mark.e2e, needs_axe, pytest.mark.django_db(transaction=True)]

ARTIFACTS = REPO / "var" / "artifacts"
WIDTHS = (1280, 390)


@pytest.fixture(autouse=True)
def _quick_analysis(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # 20 bootstrap resamples instead of 200: same code paths, a tenth of the time.
    monkeypatch.setattr(analysis, "BOOTSTRAP_RESAMPLES", 20)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _analyse(space: Space) -> AnalysisRun:
    # Not sent to the broker: a live worker of the session would race us for it.
    run = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL, enqueue=False)
    assert run is not None
    services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def _look(page: Any, name: str, width: int) -> Path:
    """Screenshot the whole page, check that nothing scrolls sideways, run axe-core."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name} scrolls sideways at {width} px ({scroll_width} px)"
    assert_accessible(page, name=f"{name} at {width} px")
    return path


def _map_matches_its_table(page: Any, map_selector: str) -> dict[str, int]:
    """Marks per group on the drawn map equal the sizes in the table beside it."""
    drawn = page.evaluate(
        """(selector) => {
            const svg = document.querySelector(selector);
            const out = {};
            for (const g of svg.querySelectorAll('g.map-points[data-group]')) {
                out[g.dataset.group] = g.querySelectorAll('use').length;
            }
            return out;
        }""",
        map_selector,
    )
    table = page.evaluate(
        """(selector) => {
            const table = document.querySelector(selector).closest('.map-layout')
                .querySelector('table.map-table');
            const out = {};
            for (const row of table.querySelectorAll('tbody tr[data-group]')) {
                out[row.dataset.group] = Number(row.querySelector('td.num').textContent);
            }
            return out;
        }""",
        map_selector,
    )
    assert drawn == table
    return drawn


@pytest.fixture
def deliberation() -> Deliberation:
    space = SpaceFactory.create(title="Park futures", phase=Space.Phase.OPEN)
    found = populate(space, participants=40, statements=8, accounts=4)
    _analyse(space)
    return found


def test_the_report_reads_on_desktop_and_phone(page: Any, deliberation: Deliberation) -> None:
    space = deliberation.space
    run = AnalysisRun.objects.get(space=space)
    assert run.result is not None
    sizes = {"AB"[g["id"]]: g["size"] for g in run.result["groups"]}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/s/{space.pk}/report/")
        page.get_by_role("heading", name="The opinion map").wait_for()
        assert page.get_by_role("img", name="Opinion map").is_visible()
        drawn = _map_matches_its_table(page, "#map svg.map-svg")
        assert {k: v for k, v in drawn.items() if k != "none"} == sizes
        assert page.locator("#consensus article.statement-card").count() >= 1
        assert page.get_by_role("heading", name="Group A").first.is_visible()
        _look(page, "report", width)
    # Printing leaves the navigation and the button out.
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="Print").is_hidden()


def test_a_facilitator_works_the_dashboard_with_the_keyboard(
    page: Any, log_in: Any, deliberation: Deliberation
) -> None:
    space = deliberation.space
    for n in (90, 91, 92):
        Statement.objects.create(
            space=space,
            number=n,
            text=f"A proposal waiting for approval, number {n}",
            normalized_text=f"a proposal waiting for approval number {n}",
            status=ModerationStatus.PENDING,
        )
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    log_in(page, facilitator)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/s/{space.pk}/dashboard/")
        page.get_by_role("heading", name="Participation at a glance").wait_for()
        assert page.locator('dd[data-count="participants"]').inner_text() == "40"
        assert page.locator('dd[data-count="statements_pending"]').inner_text() == "3"
        assert page.get_by_role("button", name="Run analysis now").is_enabled()
        assert page.get_by_role("button", name="Publish this draft").is_visible()
        _look(page, "dashboard", width)

    # Tick two statements and approve them, keyboard only.
    page.get_by_label("#90").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.get_by_role("button", name="Approve ticked").focus()
    page.keyboard.press("Enter")
    page.get_by_text("2 statements approved: #90, #91.").wait_for()
    status = dict(
        Statement.objects.filter(space=space, number__gte=90).values_list("number", "status")
    )
    assert status == {90: "accepted", 91: "accepted", 92: "pending"}
    assert ModerationAction.objects.filter(space=space, statement__number=90).exists()
    assert page.locator('dd[data-count="statements_pending"]').inner_text() == "1"

    # Publishing the draft from the dashboard.
    page.get_by_role("button", name="Publish this draft").click()
    page.get_by_text("Published as version 1.").wait_for()


def test_a_participant_sees_where_they_stand_on_the_map(
    page: Any, log_in: Any, deliberation: Deliberation
) -> None:
    space = deliberation.space
    me = deliberation.participants[0]
    assert me.user is not None
    log_in(page, me.user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/s/{space.pk}/stand/")
        page.get_by_role("heading", name="You on the opinion map").wait_for()
        assert page.locator("#main svg.map-svg .map-you").count() == 1
        assert "Your own position" in (page.locator("svg.map-svg desc").text_content() or "")
        _map_matches_its_table(page, "svg.map-svg")
        rows = page.locator("table.closeness-table tbody tr")
        assert rows.count() == 2
        assert rows.filter(has_text="your group").count() == 1
        _look(page, "where-you-stand", width)


def test_the_public_profile_reads_as_cards_without_sideways_scrolling(
    page: Any, deliberation: Deliberation
) -> None:
    from aggregation.models import ValueProfile

    space = deliberation.space
    owner = UserFactory.create()
    MembershipFactory.create(user=owner, community=space.community, role=Role.OWNER)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    services.profile_publish(profile=draft, actor=owner)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/s/{space.pk}/profile/")
        cards = page.locator("li.value-card")
        assert cards.count() == 8
        first = cards.first
        assert first.locator(".summary").inner_text().startswith(tuple("0123456789"))
        details = first.locator("details")
        assert not details.locator("dl").is_visible()
        details.locator("summary").click()
        assert details.get_by_text("Bridging score (95% interval)").is_visible()
        _look(page, "profile", width)


@pytest.mark.timeout(600)
def test_a_facilitator_of_imported_vtaiwan_sees_its_two_groups_report_and_dashboard(
    page: Any, log_in: Any
) -> None:
    community = CommunityFactory.create(slug="taiwan", visibility=Community.Visibility.PRIVATE)
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=community, role=Role.FACILITATOR)
    call_command(
        "import_polis",
        str(polis_folder("vtaiwan.uberx")),
        "--community",
        "taiwan",
        stdout=StringIO(),
    )
    space = Space.objects.get(community=community)
    run = _analyse(space)
    assert run.result is not None
    assert len(run.result["groups"]) == 2  # as Pol.is found
    log_in(page, facilitator)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/s/{space.pk}/report/")
    drawn = _map_matches_its_table(page, "#map svg.map-svg")
    assert set(drawn) == {"A", "B"}
    assert sum(drawn.values()) == sum(g["size"] for g in run.result["groups"])
    # Why hundreds of people are in no group is said in plain words.
    assert page.get_by_text("voted on too few statements").is_visible()
    _look(page, "vtaiwan-report", 1280)
    page.goto(f"/s/{space.pk}/dashboard/")
    assert page.locator('dd[data-count="participants"]').inner_text() == "1921"
    _look(page, "vtaiwan-dashboard", 1280)
