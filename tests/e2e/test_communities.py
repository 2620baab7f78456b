"""Browser test: a founder signs up, creates a community and invites a second
person, who accepts the link by signing up through it."""

from __future__ import annotations

from typing import Any

import pytest

from communities.models import Community, Invitation, Membership
from communities.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_up(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password:", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Create account").click()


def test_a_founder_invites_a_newcomer_who_joins_through_the_link(page: Any, browser: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    sign_up(page, "founder")
    assert page.get_by_role("heading", name="Your account").is_visible()

    page.get_by_role("link", name="Create a community").click()
    page.get_by_label("Name").fill("Harbour Town")
    page.get_by_label("Description").fill("A port deciding its future.")
    page.get_by_label("Visibility").select_option("private")
    page.get_by_role("button", name="Create community").click()
    assert page.get_by_role("heading", name="Harbour Town").is_visible()
    assert page.get_by_text("Your role here: Owner").is_visible()

    page.get_by_role("link", name="Members and invitations").click()
    page.get_by_label("Role:", exact=True).select_option("facilitator")
    page.get_by_label("Maximum number of uses").fill("1")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.locator("input.invitation-link").first.input_value()
    assert "/invite/" in link

    # The newcomer, in a separate browser session, opens the link logged out.
    other = browser.new_context(base_url=page.url.split("/c/")[0])
    newcomer = other.new_page()
    newcomer.goto(link)
    assert newcomer.get_by_text("You are invited to join").is_visible()
    newcomer.get_by_role("main").get_by_role("link", name="Sign up").click()
    sign_up(newcomer, "newcomer")
    # Back on the invitation, now logged in.
    newcomer.get_by_role("button", name="Accept the invitation").click()
    assert newcomer.get_by_role("heading", name="Harbour Town").is_visible()
    assert newcomer.get_by_text("Your role here: Facilitator").is_visible()
    other.close()

    community = Community.objects.get(slug="harbour-town")
    roles = dict(
        Membership.objects.filter(community=community).values_list("user__username", "role")
    )
    assert roles == {"founder": Role.OWNER, "newcomer": Role.FACILITATOR}
    assert Invitation.objects.get(community=community).uses == 1

    # The link is used up now: the founder sees it so in the list.
    page.reload()
    assert page.locator("td", has_text="Used up").is_visible()
