"""Limits the audit found missing: admin log-in, spraying, sign-up, password reset."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin() -> User:
    user = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    return user


def test_the_admin_log_in_locks_out_like_the_site_log_in(client: Client) -> None:
    _admin()
    for _ in range(5):
        wrong = client.post("/admin/login/", {"username": "root", "password": "wrong-guess"})
        assert wrong.status_code == 200
    right = client.post("/admin/login/", {"username": "root", "password": "correct-horse-battery"})
    assert b"Too many failed log-in attempts" in right.content
    assert "_auth_user_id" not in client.session
    # The same lock holds on the site's own log-in page.
    site = client.post(
        "/accounts/login/", {"username": "root", "password": "correct-horse-battery"}
    )
    assert site.status_code == 429


def test_spraying_many_usernames_from_one_address_is_stopped(
    client: Client, settings: object
) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 6  # type: ignore[attr-defined]
    UserFactory.create(username="victim")
    for n in range(6):
        response = client.post(
            "/accounts/login/", {"username": f"someone{n}", "password": "Summer2026!"}
        )
        assert response.status_code == 400
    refused = client.post(
        "/accounts/login/", {"username": "victim", "password": "correct-horse-battery"}
    )
    assert refused.status_code == 429
    assert b"from your address" in refused.content
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.1.2.3")
    ok = other.post("/accounts/login/", {"username": "victim", "password": "correct-horse-battery"})
    assert ok.status_code == 302


def test_sign_up_is_limited_per_address(client: Client, settings: object) -> None:
    settings.SIGNUP_RATE = "3/hour"  # type: ignore[attr-defined]
    for n in range(3):
        created = client.post(
            "/accounts/signup/",
            {
                "username": f"new{n}",
                "email": f"new{n}@example.org",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        )
        assert created.status_code == 302
        client.logout()
    refused = client.post(
        "/accounts/signup/",
        {
            "username": "new9",
            "email": "new9@example.org",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert refused.status_code == 429
    assert not User.objects.filter(username="new9").exists()
    assert client.get("/accounts/signup/").status_code == 200  # reading the form is not limited


def test_password_reset_mails_are_limited_per_address_and_per_e_mail(
    client: Client, settings: object
) -> None:
    settings.PASSWORD_RESET_RATE = "2/hour"  # type: ignore[attr-defined]
    UserFactory.create(username="forgetful", email="forgetful@example.org")
    for _ in range(2):
        sent = client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
        assert sent.status_code == 302
    refused = client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    assert refused.status_code == 429
    assert len(mail.outbox) == 2
    # From elsewhere, the same target e-mail is still limited.
    other = Client(REMOTE_ADDR="10.9.9.9")
    again = other.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    assert again.status_code == 429
    assert len(mail.outbox) == 2
