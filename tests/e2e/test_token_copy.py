"""The new API token's key is shown once, with a Copy button that works (no inline script)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.factories import UserFactory
from tests.requirements import needs_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _create_token(page: Any, log_in: Any) -> str:
    log_in(page, UserFactory.create())
    page.goto("/accounts/")
    page.get_by_label("Token name").fill("nightly export")
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("Token key").input_value()
    assert key.startswith("ppy_")
    return str(key)


def test_the_copy_button_puts_the_key_on_the_clipboard(page: Any, log_in: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    key = _create_token(page, log_in)
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    row = page.get_by_role("row", name="nightly export")
    assert "Read only" in row.inner_text()
    assert errors == []  # no script error, no Content-Security-Policy refusal


@needs_axe
def test_the_account_page_with_a_new_token_is_accessible(page: Any, log_in: Any) -> None:
    _create_token(page, log_in)
    assert_accessible(page, name="the account page with a new token")
