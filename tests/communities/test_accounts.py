"""Accounts: sign up, log in (rate-limited), log out, passwords, the account page, API tokens."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from communities import services
from communities.models import ApiToken
from communities.roles import Role
from tests.communities.conftest import db_state
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_a_visitor_signs_up_and_is_logged_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "username": "amira",
            "email": "amira@example.org",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    user = User.objects.get(username="amira")
    assert user.email == "amira@example.org"
    assert user.check_password("a-long-unusual-passphrase")
    assert client.get("/accounts/").context["user"] == user


def test_sign_up_returns_to_a_safe_next_page_only(client: Client) -> None:
    data = {
        "email": "x@example.org",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }
    ok = client.post("/accounts/signup/?next=/invite/abc/", {**data, "username": "first"})
    assert ok["Location"] == "/invite/abc/"
    Client().logout()
    other = Client().post(
        "/accounts/signup/",
        {**data, "username": "second", "email": "y@example.org", "next": "https://evil.example/"},
    )
    assert other["Location"] == "/accounts/"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "12345678", "password2": "12345678"}, "password2", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "match"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"username": "taken"}, "username", "already exists"),
        ({"email": "TAKEN@example.org"}, "email", "already exists"),
    ],
)
def test_sign_up_rejects_bad_input_with_a_field_error(
    client: Client, overrides: dict[str, str], field: str, message: str
) -> None:
    UserFactory.create(username="taken", email="taken@example.org")
    data = {
        "username": "newcomer",
        "email": "new@example.org",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
        **overrides,
    }
    users_before = User.objects.count()
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == users_before


def test_log_in_and_log_out_with_a_post(client: Client) -> None:
    UserFactory.create(username="lena")
    response = client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/")
    assert b"Log out" in page.content
    assert b"Account" in page.content
    assert client.get("/accounts/logout/").status_code == 405  # never by a link
    assert client.post("/accounts/logout/").status_code == 302
    page = client.get("/")
    assert b"Log in" in page.content
    assert b"Sign up" in page.content


def test_a_wrong_password_is_a_400_with_a_message(client: Client) -> None:
    UserFactory.create(username="lena")
    response = client.post("/accounts/login/", {"username": "lena", "password": "nope"})
    assert response.status_code == 400
    assert b"correct username and password" in response.content


def test_five_failed_log_ins_lock_out_that_account_from_that_address(client: Client) -> None:
    UserFactory.create(username="lena")
    for _ in range(5):
        assert (
            client.post("/accounts/login/", {"username": "lena", "password": "wrong"}).status_code
            == 400
        )
    locked = client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed log-in attempts" in locked.content
    assert "_auth_user_id" not in client.session
    # Another address is not locked out, so an attacker cannot lock lena out everywhere.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        elsewhere.post("/accounts/login/", {"username": "lena", "password": PASSWORD}).status_code
        == 302
    )


def test_a_successful_log_in_resets_the_failure_count(client: Client) -> None:
    UserFactory.create(username="lena")
    for _ in range(4):
        client.post("/accounts/login/", {"username": "lena", "password": "wrong"})
    assert (
        client.post("/accounts/login/", {"username": "lena", "password": PASSWORD}).status_code
        == 302
    )
    client.post("/accounts/logout/")
    for _ in range(4):
        client.post("/accounts/login/", {"username": "lena", "password": "wrong"})
    assert (
        client.post("/accounts/login/", {"username": "lena", "password": PASSWORD}).status_code
        == 302
    )


def test_password_reset_sends_a_working_link(client: Client) -> None:
    user = UserFactory.create(username="lena", email="lena@example.org")
    response = client.post("/accounts/password/reset/", {"email": "lena@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-fine-passphrase", "new_password2": "another-fine-passphrase"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-fine-passphrase")


def test_password_change_needs_the_old_password(client: Client) -> None:
    user = UserFactory.create(username="lena")
    client.force_login(user)
    wrong = client.post(
        "/accounts/password/change/",
        {
            "old_password": "nope",
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["old_password"]
    right = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password("x-new-passphrase-1")


def test_the_account_page_lists_my_communities_and_tokens(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    user = UserFactory.create()
    for n in range(6):
        MembershipFactory.create(
            user=user, community=CommunityFactory.create(name=f"Town {n}"), role=Role.MEMBER
        )
    for n in range(4):
        services.api_token_create(user=user, name=f"script {n}")
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get("/accounts/")
    assert response.status_code == 200
    assert b"Town 5" in response.content
    assert b"script 3" in response.content


def test_the_account_page_needs_a_login(client: Client) -> None:
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


def test_a_new_token_is_shown_once_and_stored_hashed(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "nightly export"})
    assert response.status_code == 201
    key = response.context["new_key"]
    assert key.startswith("ppy_")
    assert key.encode() in response.content
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in token.prefix
    assert key.startswith(token.prefix)
    assert key.encode() not in client.get("/accounts/").content


def test_a_token_authenticates_api_calls_and_records_its_use(client: Client) -> None:
    user = UserFactory.create()
    token, key = services.api_token_create(user=user, name="bot")
    response = client.post(
        "/api/v1/communities/",
        {"name": "Made by a bot"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert response.json()["my_role"] == "owner"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token ppy_not-a-real-key"])
def test_a_bad_token_header_is_refused(client: Client, header: str) -> None:
    before = db_state()
    response = client.post(
        "/api/v1/communities/",
        {"name": "X town"},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code in (401, 403)
    assert response.json()["detail"]
    assert db_state() == before


def test_tokens_through_the_api_list_create_and_revoke(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    created = client.post("/api/v1/me/tokens/", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith(body["prefix"])
    assert created["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/me/tokens/").json()
    assert [t["name"] for t in listed["results"]] == ["ci"]
    assert "key" not in listed["results"][0]
    duplicate = client.post("/api/v1/me/tokens/", {"name": "ci"}, content_type="application/json")
    assert duplicate.status_code == 400
    assert "already have an active token" in str(duplicate.json())
    revoked = client.delete(f"/api/v1/me/tokens/{body['id']}/")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    again = client.delete(f"/api/v1/me/tokens/{body['id']}/")
    assert (again.status_code, again.json()["code"]) == (409, "revoked")
    other = UserFactory.create()
    their_token, _ = services.api_token_create(user=other, name="theirs")
    assert client.delete(f"/api/v1/me/tokens/{their_token.pk}/").status_code == 404
    their_token.refresh_from_db()
    assert their_token.revoked_at is None


def test_token_revocation_on_the_account_page(client: Client) -> None:
    user = UserFactory.create()
    token, key = services.api_token_create(user=user, name="old")
    client.force_login(user)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Client().get("/api/v1/me/tokens/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code in (401, 403)


def test_the_openapi_schema_declares_token_authentication(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    operation = schema["paths"]["/api/v1/communities/{slug}/members/{membership_id}/"]["patch"]
    assert {"400", "401", "403", "404"} <= set(operation["responses"])
