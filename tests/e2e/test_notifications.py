"""E-mail preferences on the account page and the unsubscribe page, in Chromium."""

from __future__ import annotations

import os
from typing import Any

import pytest

from communities.roles import Role
from notifications import services
from tests.e2e.axe import assert_accessible
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.requirements import needs_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _look(page: Any, name: str, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@needs_axe
@pytest.mark.parametrize("width", [1280, 390])
def test_a_member_switches_emails_off_on_the_account_page(
    page: Any, log_in: Any, width: int
) -> None:
    user = UserFactory.create(username="amira", email="amira@example.org")
    MembershipFactory.create(user=user, community=CommunityFactory.create(), role=Role.FACILITATOR)
    log_in(page, user)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/accounts/")
    section = page.locator("section", has=page.get_by_role("heading", name="E-mail notifications"))
    spaces = section.get_by_label("A space of my communities opens")
    assert spaces.is_checked()
    section.scroll_into_view_if_needed()
    _look(page, "account-notifications", width)
    assert_accessible(page, name="the account page")
    spaces.uncheck()
    section.get_by_role("button", name="Save e-mail preferences").click()
    assert page.get_by_text("Your e-mail preferences are saved.").is_visible()
    assert not section.get_by_label("A space of my communities opens").is_checked()
    assert section.get_by_label("A community of mine publishes").is_checked()
    assert not services.preferences_get(user=user).spaces


@needs_axe
@pytest.mark.parametrize("width", [1280, 390])
def test_the_unsubscribe_link_asks_then_unsubscribes_without_logging_in(
    page: Any, width: int
) -> None:
    user = UserFactory.create(email="reader@example.org")
    token = services.unsubscribe_token(topic="profiles", user=user)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/unsubscribe/{token}/")
    assert page.get_by_role("heading", name="Stop these e-mails?").is_visible()
    _look(page, "unsubscribe-ask", width)
    assert_accessible(page, name="the unsubscribe page")
    assert services.preferences_get(user=user).profiles
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    _look(page, "unsubscribe-done", width)
    assert_accessible(page, name="the unsubscribe confirmation")
    assert not services.preferences_get(user=user).profiles

    page.goto(f"/unsubscribe/{token[:-6]}/")
    assert page.get_by_role("heading", name="This link does not work").is_visible()
    _look(page, "unsubscribe-bad-link", width)
    assert_accessible(page, name="the page of a bad unsubscribe link")


@needs_axe
@pytest.mark.parametrize("width", [1280, 390])
def test_a_facilitator_emails_an_invitation_from_the_members_page(
    page: Any, log_in: Any, width: int, settings: Any
) -> None:
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    community = CommunityFactory.create(name="Harbour Town")
    facilitator = UserFactory.create()
    MembershipFactory.create(user=facilitator, community=community, role=Role.FACILITATOR)
    log_in(page, facilitator)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/c/{community.slug}/members/")
    page.get_by_label("E-mail the link to (optional)").fill("newcomer@example.org")
    _look(page, "invite-form", width)
    # Sent by a worker after the commit; here the task runs in the server's thread.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "enqueue", lambda task, *args: task.apply(args=args))
        page.get_by_role("button", name="Create invitation link").click()
        assert page.get_by_text("e-mailed to newcomer@example.org").is_visible()
    assert_accessible(page, name="the members page")
    (message,) = mail.outbox
    assert message.to == ["newcomer@example.org"]
    assert "Harbour Town" in message.subject
