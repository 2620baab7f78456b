"""A participant and a facilitator use a deliberation space in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

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
from tests.factories import MembershipFactory, SpaceFactory, StatementFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "Every neighbourhood should have a park nearby",
    "The council should publish every contract it signs",
    "Clean drinking water is a right, not a product",
    "Children should walk to school safely on their own",
]


def _space(**kwargs: Any) -> Space:
    space = SpaceFactory.create(
        participation=Space.Participation.LINK, ranking_size=3, title="Riverside futures", **kwargs
    )
    for number, text in enumerate(TEXTS, start=1):
        StatementFactory.create(space=space, number=number, text=text, normalized_text=text.lower())
    space.statement_counter = len(TEXTS)
    space.save()
    return space


def test_a_participant_votes_proposes_compares_ranks_and_argues(page: Any) -> None:
    space = _space()
    page.goto(f"/j/{space.link_token}/")
    assert page.get_by_role("heading", name="Riverside futures").is_visible()
    card = page.locator("#vote-card")
    # Three cards through htmx: the card swaps in place, the page does not reload.
    page.evaluate("window.__sameDocument = true")
    seen = []
    for _ in range(3):
        text = card.locator(".statement-text").inner_text()
        seen.append(text)
        card.get_by_role("button", name="Agree", exact=True).click()
        page.wait_for_function(
            "t => !document.querySelector('#vote-card .statement-text') || "
            "document.querySelector('#vote-card .statement-text').innerText !== t",
            arg=text,
        )
    assert page.evaluate("window.__sameDocument") is True
    assert "voted on 3 of 4" in card.inner_text()
    assert len(set(seen)) == 3
    assert Vote.objects.count() == 3

    page.get_by_label("Your statement").fill("Old trees deserve protection from developers")
    page.get_by_role("button", name="Propose").click()
    page.get_by_text("is now open for votes").wait_for()
    assert Statement.objects.filter(text__startswith="Old trees").exists()

    page.get_by_role("link", name="Which matters more?").click()
    first_choice = page.locator(".pair-choice").first
    first_choice.click()
    page.get_by_text("Thank you, recorded.").wait_for()
    assert Comparison.objects.count() == 1

    page.get_by_role("link", name="Rank").click()
    # Keyboard only: focus each place, pick with the arrow keys, submit with Enter.
    page.get_by_label("Place 1 (most important)").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.get_by_role("button", name="Save my ranking").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your ranking is saved").wait_for()
    assert list(RankingEntry.objects.values_list("statement__number", flat=True)) == [2, 1]

    page.get_by_role("link", name="Statements & debate").click()
    page.get_by_role("link", name=TEXTS[0]).click()
    page.get_by_label("for the statement").check()
    page.get_by_label("Your argument").fill("Parks keep people healthy and together.")
    page.get_by_role("button", name="Post argument").click()
    page.locator("#debate-box").get_by_text("Parks keep people healthy").wait_for()
    assert Argument.objects.get().stance == "for"


def test_a_facilitator_approves_a_pending_statement(page: Any, log_in: Any) -> None:
    space = _space(moderation=Space.Moderation.PRE)
    facilitator = UserFactory.create(username="facilitator")
    MembershipFactory.create(user=facilitator, community=space.community, role=Role.FACILITATOR)
    pending = StatementFactory.create(
        space=space,
        number=5,
        text="Night noise rules should be stricter",
        status=ModerationStatus.PENDING,
    )
    log_in(page, facilitator)
    page.goto(f"/s/{space.pk}/")
    page.get_by_role("link", name="Moderation").click()
    page.get_by_role("button", name=f"Approve statement #{pending.number}").click()
    page.get_by_text("approve recorded in the decision log").wait_for()
    pending.refresh_from_db()
    assert pending.status == ModerationStatus.ACCEPTED
    page.get_by_role("link", name="Decision log", exact=True).click()
    assert page.get_by_role("cell", name="Approved").is_visible()


def test_a_duplicate_proposal_shows_the_refusal_in_place_and_counts_refresh_live(
    page: Any,
) -> None:
    from elicitation import services

    space = _space()
    page.goto(f"/s/{space.pk}/")
    page.get_by_label("Your statement").fill("the council should publish EVERY contract it signs!")
    page.get_by_role("button", name="Propose").click()
    # A 409 is swapped in like a success: the refusal and a link to the original.
    pointer = page.get_by_role("link", name="See the existing statement")
    pointer.wait_for()
    assert pointer.get_attribute("href") == f"/s/{space.pk}/statements/2/"
    assert Statement.objects.count() == len(TEXTS)
    votes = page.locator('[data-count="votes"]')
    assert votes.inner_text() == "0"
    someone, _ = services.participant_get_or_create(space=space, anon_token="elsewhere")
    services.vote_cast(participant=someone, statement_number=1, value=1)
    page.wait_for_function(
        "() => document.querySelector('[data-count=\"votes\"]').innerText === '1'", timeout=12_000
    )


def test_in_a_private_community_only_the_link_opens_a_link_space(page: Any) -> None:
    from communities.models import Community
    from elicitation import services
    from tests.factories import CommunityFactory

    space = _space(community=CommunityFactory.create(visibility=Community.Visibility.PRIVATE))
    guessed = page.goto(f"/s/{space.pk}/")
    assert guessed is not None
    assert guessed.status == 404
    page.goto(f"/j/{space.link_token}/")
    assert page.get_by_role("heading", name="Riverside futures").is_visible()
    # The htmx requests that follow carry the grant the link left.
    card = page.locator("#vote-card")
    card.get_by_role("button", name="Agree", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#vote-card').innerText.includes('voted on 1 of 4')"
    )
    page.get_by_label("Your statement").fill("Old trees deserve protection from developers")
    page.get_by_role("button", name="Propose").click()
    page.get_by_text("is now open for votes").wait_for()
    someone, _ = services.participant_get_or_create(space=space, anon_token="elsewhere")
    services.vote_cast(participant=someone, statement_number=2, value=1)
    # One vote cast, the proposer's implied agree, and someone else's vote.
    page.wait_for_function(
        "() => document.querySelector('[data-count=\"votes\"]').innerText === '3'", timeout=12_000
    )
    assert Vote.objects.count() == 3
    assert Statement.objects.filter(text__startswith="Old trees").exists()
