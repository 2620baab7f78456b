"""Gate: a whole deliberation in Chromium against the deployed web service.

A founder signs up, creates a community, invites people and creates a space;
members propose, vote, compare, rank and argue (one of them with the keyboard
alone); a crowd votes over the API through the link; the facilitator moderates,
runs the analysis on the real Celery worker, reviews, publishes and retracts;
an API client downloads the profile in every format. axe-core checks every
page on the way (0 serious or critical), and each page is saved as a
screenshot at 1280 and 390 px in var/artifacts/journey/.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

import jsonschema
import pytest

from aggregation.models import AnalysisRun, ValueProfile
from communities.models import Community, Membership
from communities.roles import Role
from elicitation.models import (
    Argument,
    Comparison,
    ModerationStatus,
    RankingEntry,
    Space,
    Statement,
    Vote,
)
from tests.e2e.deployed import Recorder, deployed, recorder
from tests.requirements import needs_axe
from tests.servers import WebServer

pytestmark = [pytest.mark.e2e, pytest.mark.worker, needs_axe]

__all__ = ["deployed"]  # the fixture, imported for this module's tests

PASSWORD = "a-long-unusual-passphrase"
SEEDS = [
    "Every child should be able to swim in the river safely",
    "The riverbank belongs to everyone, not to the houses beside it",
    "Old trees along the water must be protected",
    "Decisions about the river should be taken in public meetings",
    "Flood defences matter more than new paths",
]


def new_person(browser: Any, server: WebServer) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_up(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def tab_to(page: Any, target: Any, *, limit: int = 120) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def vote(page: Any, action: Any) -> None:
    """Vote on the card shown, then wait for htmx to swap the next card in."""
    text = page.locator("#vote-card .statement-text").inner_text()
    action()
    page.wait_for_function(
        "t => !document.querySelector('#vote-card .statement-text') || "
        "document.querySelector('#vote-card .statement-text').innerText !== t",
        arg=text,
    )


def swapped(page: Any, selector: str, action: Any) -> None:
    """Do `action`, then wait until htmx has swapped new content into `selector`."""
    page.evaluate("s => { document.querySelector(s).dataset.stale = '1'; }", selector)
    action()
    page.wait_for_function("s => !document.querySelector(s).dataset.stale", arg=selector)


def api_get(server: WebServer, path: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(server.url + path)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def api_post(
    server: WebServer, path: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_a_community_deliberates_and_publishes_its_value_profile(
    browser: Any, deployed: WebServer
) -> None:
    server = deployed
    seen = recorder("journey")

    # --- The founder signs up, creates a community and invites people --------
    ada = new_person(browser, server)
    ada.goto("/")
    seen.page(ada, "home, logged out")
    ada.get_by_role("link", name="Sign up").click()
    seen.page(ada, "sign up")
    sign_up(ada, "ada")
    ada.get_by_role("heading", name="Your account").wait_for()
    seen.page(ada, "account")

    ada.get_by_role("link", name="Create a community").click()
    ada.get_by_label("Name").fill("Riverbank")
    ada.get_by_label("Description").fill("Neighbours deciding what the river is for.")
    ada.get_by_label("Visibility").select_option("private")
    seen.page(ada, "new community form")
    ada.get_by_role("button", name="Create community").click()
    ada.get_by_text("Your role here: Owner").wait_for()
    seen.page(ada, "community")
    community = Community.objects.get(slug="riverbank")

    ada.get_by_role("link", name="Members and invitations").click()
    ada.get_by_label("Role:", exact=True).select_option("member")
    ada.get_by_label("Maximum number of uses").fill("2")
    ada.get_by_role("button", name="Create invitation link").click()
    invitation = ada.locator("input.invitation-link").first.input_value()
    seen.page(ada, "members and invitations")

    # --- A space: pre-moderated, open to anyone with the link, five seeds -----
    ada.goto(f"/c/{community.slug}/spaces/")
    ada.get_by_role("link", name="New space").click()
    ada.get_by_label("Title").fill("What is the river for?")
    ada.get_by_label("Short name in links").fill("river")
    ada.get_by_label("Question").fill("What should guide decisions about the river?")
    ada.get_by_label("Statements wait for approval").check()
    ada.get_by_label("Anyone with the link").check()
    ada.get_by_label("How many statements a ballot ranks (k)").fill("3")
    seen.page(ada, "new space form")
    ada.get_by_role("button", name="Create space").click()
    space = Space.objects.get(community=community, slug="river")
    ada.get_by_role("link", name="Moderation").click()
    for number, text in enumerate(SEEDS, start=1):
        ada.get_by_label("Statement", exact=True).fill(text)
        ada.get_by_role("button", name="Add seed statement").click()
        ada.get_by_text(f"Seed statement #{number} added.").wait_for()
    ada.goto(f"/s/{space.pk}/")
    ada.get_by_role("button", name="Open the space").click()
    ada.get_by_role("button", name="Close the space").wait_for()
    seen.page(ada, "space, facilitator")
    space.refresh_from_db()
    assert space.phase == Space.Phase.OPEN
    assert Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).count() == 5

    # --- Bea joins through the invitation and takes part with the mouse -------
    bea = new_person(browser, server)
    bea.goto(invitation)
    bea.get_by_text("You are invited to join").wait_for()
    seen.page(bea, "invitation, logged out")
    bea.get_by_role("main").get_by_role("link", name="Sign up").click()
    sign_up(bea, "bea")
    bea.get_by_role("button", name="Accept the invitation").click()
    bea.get_by_text("Your role here: Member").wait_for()
    bea.goto(f"/s/{space.pk}/")
    seen.page(bea, "space, member")
    card = bea.locator("#vote-card")
    for value in ("Agree", "Disagree", "Agree", "Pass / unsure", "Agree"):
        vote(bea, lambda value=value: card.get_by_role("button", name=value, exact=True).click())
    card.get_by_text("You have voted on every statement.").wait_for()
    bea.get_by_label("Your statement").fill("Swimming spots should have lifeguards in summer")
    bea.get_by_role("button", name="Propose").click()
    bea.get_by_text("waits for a moderator", exact=False).wait_for()
    seen.page(bea, "space, after proposing")

    bea.get_by_role("link", name="Which matters more?").click()
    seen.page(bea, "which matters more")
    for _ in range(3):
        swapped(bea, "#pair-box", lambda: bea.locator(".pair-choice").first.click())
        bea.get_by_text("Thank you, recorded.").wait_for()
    bea.get_by_role("link", name="Rank").click()
    bea.get_by_label("Place 1 (most important)").select_option(index=3)
    bea.get_by_label("Place 2").select_option(index=1)
    bea.get_by_role("button", name="Save my ranking").click()
    bea.get_by_text("Your ranking is saved").wait_for()
    seen.page(bea, "rank")
    bea.get_by_role("link", name="Statements & debate").click()
    seen.page(bea, "statements")
    bea.get_by_role("link", name=SEEDS[2]).click()
    bea.get_by_label("for the statement").check()
    bea.get_by_label("Your argument").fill("They hold the bank together in floods.")
    bea.get_by_role("button", name="Post argument").click()
    bea.get_by_text("Your argument waits for a moderator's approval.").wait_for()
    seen.page(bea, "statement and debate")

    # --- Cem does the same with the keyboard alone ---------------------------
    cem = new_person(browser, server)
    cem.goto(invitation)
    tab_to(cem, cem.get_by_role("main").get_by_role("link", name="Sign up"))
    cem.keyboard.press("Enter")
    tab_to(cem, cem.get_by_label("Username"))
    cem.keyboard.type("cem")
    cem.keyboard.press("Tab")
    cem.keyboard.type("cem@example.org")
    tab_to(cem, cem.get_by_label("Password:", exact=True))
    cem.keyboard.type(PASSWORD)
    tab_to(cem, cem.get_by_label("Password confirmation"))
    cem.keyboard.type(PASSWORD)
    cem.keyboard.press("Enter")
    tab_to(cem, cem.get_by_role("button", name="Accept the invitation"))
    cem.keyboard.press("Enter")
    cem.get_by_text("Your role here: Member").wait_for()
    cem.goto(f"/s/{space.pk}/")
    agree = cem.locator("#vote-card").get_by_role("button", name="Agree", exact=True)
    for _ in range(5):
        tab_to(cem, agree)
        vote(cem, lambda: cem.keyboard.press("Enter"))
        # The next card comes with its Agree button focused.
    cem.locator("#vote-card").get_by_text("You have voted on every statement.").wait_for()
    tab_to(cem, cem.get_by_label("Your statement"))
    cem.keyboard.type("Buy the old mill and make it a river school")
    cem.keyboard.press("Tab")
    cem.keyboard.press("Enter")
    cem.get_by_text("waits for a moderator", exact=False).wait_for()
    tab_to(cem, cem.get_by_role("link", name="Which matters more?"))
    cem.keyboard.press("Enter")
    tab_to(cem, cem.locator(".pair-choice").first)
    swapped(cem, "#pair-box", lambda: cem.keyboard.press("Enter"))
    cem.get_by_text("Thank you, recorded.").wait_for()
    tab_to(cem, cem.get_by_role("link", name="Rank"))
    cem.keyboard.press("Enter")
    tab_to(cem, cem.get_by_label("Place 1 (most important)"))
    cem.keyboard.press("ArrowDown")
    cem.keyboard.press("ArrowDown")
    cem.keyboard.press("Tab")
    cem.keyboard.press("ArrowDown")
    tab_to(cem, cem.get_by_role("button", name="Save my ranking"))
    cem.keyboard.press("Enter")
    cem.get_by_text("Your ranking is saved").wait_for()
    tab_to(cem, cem.get_by_role("link", name="Statements & debate"))
    cem.keyboard.press("Enter")
    tab_to(cem, cem.get_by_role("link", name=SEEDS[2]))
    cem.keyboard.press("Enter")
    # Tab enters the radio group on its first option; an arrow key picks the other.
    tab_to(cem, cem.get_by_label("for the statement"))
    cem.keyboard.press("ArrowDown")
    assert cem.get_by_label("against the statement").is_checked()
    tab_to(cem, cem.get_by_label("Your argument"))
    cem.keyboard.type("Some of them block the only path to the water.")
    tab_to(cem, cem.get_by_role("button", name="Post argument"))
    cem.keyboard.press("Enter")
    cem.get_by_text("Your argument waits for a moderator's approval.").wait_for()

    # --- A crowd votes over the API through the space's link -----------------
    link = {"X-Space-Link": space.link_token}
    numbers = list(
        Statement.objects.filter(space=space, status=ModerationStatus.ACCEPTED).values_list(
            "number", flat=True
        )
    )
    for i in range(14):
        status, joined = api_post(server, f"/api/v1/spaces/{space.pk}/participants/", {}, link)
        assert status == 201, joined
        token = {"X-Participant-Token": joined["token"]}
        camp = 1 if i % 2 else -1
        for n in numbers:
            status, answer = api_post(
                server,
                f"/api/v1/spaces/{space.pk}/votes/",
                {"statement": n, "value": camp if n % 2 else -camp},
                token,
            )
            assert status == 201, answer

    # --- The facilitator moderates -----------------------------------------
    ada.goto(f"/s/{space.pk}/moderation/")
    seen.page(ada, "moderation")
    lifeguards = Statement.objects.get(space=space, text__startswith="Swimming spots")
    mill = Statement.objects.get(space=space, text__startswith="Buy the old mill")
    ada.get_by_role("button", name=f"Approve statement #{lifeguards.number}").click()
    ada.get_by_text("approve recorded in the decision log").wait_for()
    ada.get_by_label("Reason (public; needed to reject)").first.fill("Not a value: a purchase.")
    ada.get_by_role("button", name=f"Reject statement #{mill.number}").click()
    ada.get_by_text("reject recorded in the decision log").wait_for()
    for left in (1, 0):
        waiting = ada.locator("section", has=ada.locator("#pending-args-title"))
        waiting.get_by_role("button", name="Approve").first.click()
        ada.get_by_role("heading", name=f"Arguments waiting for approval ({left})").wait_for()
    ada.get_by_role("link", name="Decision log", exact=True).click()
    seen.page(ada, "decision log")
    lifeguards.refresh_from_db()
    mill.refresh_from_db()
    assert (lifeguards.status, mill.status) == (
        ModerationStatus.ACCEPTED,
        ModerationStatus.REJECTED,
    )

    # --- ...runs the analysis, reviews and publishes -------------------------
    ada.get_by_role("link", name="Analysis & profile").click()
    seen.page(ada, "analysis")
    ada.get_by_role("button", name="Run analysis now").click()
    ada.wait_for_url("**/analysis/runs/*/")
    seen.page(ada, "run in progress", widths=(1280,))
    review = ada.get_by_role("link", name="Review the profile")
    try:
        review.wait_for(timeout=180_000)
    except Exception:
        run = AnalysisRun.objects.filter(space=space).last()
        pytest.fail(f"run never finished: {run and (run.status, run.stage, run.error)}")
    seen.page(ada, "run finished")
    # The details came along with the polls: the finished run's, not the queued one's.
    run = AnalysisRun.objects.get(space=space)
    assert run.input_fingerprint in ada.locator("#run-details").inner_text()
    review.click()
    ada.get_by_role("heading", name="What publishing would change").wait_for()
    seen.page(ada, "review")
    ada.get_by_role("button", name="Publish this profile").click()
    ada.get_by_text("Published as version 1.").wait_for()
    profile = ValueProfile.objects.get(space=space, status=ValueProfile.Status.PUBLISHED)
    assert profile.version == 1

    # Members read it.
    bea.goto(f"/s/{space.pk}/profile/")
    bea.get_by_role("heading", name="What is the river for?: value profile").wait_for()
    seen.page(bea, "value profile")
    bea.goto(f"/s/{space.pk}/stand/")
    seen.page(bea, "where you stand")

    # --- An API client downloads every format --------------------------------
    ada.goto("/accounts/")
    ada.get_by_label("Name").fill("journey client")
    ada.get_by_role("button", name="Create token").click()
    key = ada.get_by_label("Token key").input_value()
    base = f"/api/v1/spaces/{space.pk}/profiles"
    status, kind, body = api_get(server, f"{base}/latest/", key)
    assert (status, kind.split(";")[0]) == (200, "application/json"), body[:300]
    document = json.loads(body)
    status, _, schema_body = api_get(server, "/api/v1/schemas/value-profile-1.json")
    assert status == 200
    jsonschema.validate(document, json.loads(schema_body))
    status, kind, body = api_get(server, f"{base}/1/?format=csv", key)
    assert (status, kind.split(";")[0]) == (200, "text/csv"), body[:300]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert len(rows) == Statement.objects.filter(space=space, status="accepted").count()
    status, kind, body = api_get(server, f"{base}/1/?format=md", key)
    assert (status, kind.split(";")[0]) == (200, "text/markdown"), body[:300]
    assert "What is the river for?" in body.decode("utf-8")
    status, kind, body = api_get(server, f"/api/v1/communities/{community.slug}/profiles/", key)
    assert status == 200
    assert json.loads(body)["count"] == 1
    status, kind, body = api_get(server, f"/api/v1/spaces/{space.pk}/export/polis.zip", key)
    assert (status, kind.split(";")[0]) == (200, "application/zip"), body[:300]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = {name.rsplit("/", 1)[-1] for name in archive.namelist()}
    assert {"comments.csv", "votes.csv", "participants-votes.csv"} <= names
    # A private community's profile is not for strangers.
    assert api_get(server, f"{base}/latest/")[0] in (401, 403, 404)

    # --- ...and the facilitator retracts it ----------------------------------
    ada.goto(f"/profiles/{profile.pk}/review/")
    ada.get_by_label("Reason for retracting (public)").fill("A campaign flooded the votes.")
    ada.get_by_role("button", name="Retract version 1").click()
    ada.get_by_text("Retracted", exact=False).first.wait_for()
    seen.page(ada, "retracted")
    profile.refresh_from_db()
    assert profile.status == ValueProfile.Status.RETRACTED
    assert api_get(server, f"{base}/latest/", key)[0] == 404

    # What everyone did is in the database once.
    members = Membership.objects.filter(community=community)
    assert dict(members.values_list("user__username", "role")) == {
        "ada": Role.OWNER,
        "bea": Role.MEMBER,
        "cem": Role.MEMBER,
    }
    # Votes cast, plus each proposer's implied agree on their own statement.
    proposals = Statement.objects.filter(space=space, author__isnull=False).count()
    assert proposals == 2
    assert Vote.objects.filter(statement__space=space).count() == 5 + 5 + 14 * 5 + proposals
    assert Comparison.objects.filter(participant__space=space).count() == 4
    assert RankingEntry.objects.filter(ranking__participant__space=space).count() == 4
    assert (
        Argument.objects.filter(statement__space=space, status=ModerationStatus.ACCEPTED).count()
        == 2
    )

    assert_all_recorded(seen)


def assert_all_recorded(seen: Recorder) -> None:
    assert all(path.stat().st_size > 0 for path in seen.shots)
    seen.assert_accessible()
