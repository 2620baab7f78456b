"""The authorization matrix: every kind of visitor against every action.

The community under test is private (so visibility is tested too) and has two
owners (so an owner may leave). For each (persona, action) the test checks the
status code and, when the action is refused, that nothing at all changed in
the database; when it is allowed, that something did (or, for reads, nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from communities.models import Community, Membership
from communities.roles import Role
from tests.communities.conftest import db_state
from tests.factories import (
    CommunityFactory,
    InvitationFactory,
    MembershipFactory,
    SegmentQuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "non_member",
    "other_community",
    "banned",
    "observer",
    "member",
    "facilitator",
    "owner",
]
MEMBERS = {"observer", "member", "facilitator", "owner"}
MANAGERS = {"facilitator", "owner"}
INVISIBLE = {"non_member", "other_community", "banned"}  # cannot see the private community


@dataclass
class World:
    community: Community
    users: dict[str, User]
    target: Membership  # an ordinary member others act on
    banned: Membership
    invitation_id: int
    invitation_token: str
    question_id: int


@pytest.fixture
def world() -> World:
    community = CommunityFactory.create(slug="river", visibility=Community.Visibility.PRIVATE)
    other = CommunityFactory.create(slug="elsewhere")
    users = {name: UserFactory.create(username=name) for name in PERSONAS if name != "anonymous"}
    for name in MEMBERS:
        MembershipFactory.create(user=users[name], community=community, role=name)
    MembershipFactory.create(
        user=UserFactory.create(username="owner2"), community=community, role=Role.OWNER
    )
    MembershipFactory.create(user=users["other_community"], community=other, role=Role.OWNER)
    banned = MembershipFactory.create(
        user=users["banned"], community=community, status=Membership.Status.BANNED
    )
    target = MembershipFactory.create(
        user=UserFactory.create(username="target"), community=community
    )
    invitation = InvitationFactory.create(
        community=community, expires_at=timezone.now() + timedelta(days=3), max_uses=50
    )
    question = SegmentQuestionFactory.create(community=community, label="Region")
    return World(
        community=community,
        users=users,
        target=target,
        banned=banned,
        invitation_id=invitation.pk,
        invitation_token=invitation.token,
        question_id=question.pk,
    )


def client_for(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


@dataclass
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    allowed: set[str]
    body: Callable[[World], dict[str, Any]] | None = None
    ok: int = 200
    read_only: bool = False  # allowed requests change nothing either
    # What an anonymous visitor gets: 401 (with WWW-Authenticate) from the API.
    anonymous: int = 401
    # persona -> status when refused; default: 404 for those who cannot see
    # the community, 403 for members whose role does not allow it.
    refused: dict[str, int] | None = None

    def expected(self, persona: str) -> int:
        if persona in self.allowed:
            return self.ok
        if persona == "anonymous":
            return self.anonymous
        if self.refused and persona in self.refused:
            return self.refused[persona]
        return 404 if persona in INVISIBLE else 403


API = "/api/v1/communities/river"

API_CASES = [
    Case("view community", "get", lambda w: f"{API}/", MEMBERS, read_only=True, anonymous=404),
    Case(
        "edit community",
        "patch",
        lambda w: f"{API}/",
        {"owner"},
        body=lambda w: {"name": "Renamed river"},
    ),
    Case("list members", "get", lambda w: f"{API}/members/", MEMBERS, read_only=True),
    Case(
        "change a member's role",
        "patch",
        lambda w: f"{API}/members/{w.target.pk}/",
        MANAGERS,
        body=lambda w: {"role": "observer"},
    ),
    Case("remove a member", "delete", lambda w: f"{API}/members/{w.target.pk}/", MANAGERS, ok=204),
    Case("ban a member", "post", lambda w: f"{API}/members/{w.target.pk}/ban/", MANAGERS),
    Case(
        "lift a ban",
        "post",
        lambda w: f"{API}/members/{w.banned.pk}/unban/",
        MANAGERS,
        ok=204,
    ),
    Case(
        "create an invitation",
        "post",
        lambda w: f"{API}/invitations/",
        MANAGERS,
        body=lambda w: {"role": "member", "max_uses": 3},
        ok=201,
    ),
    Case("list invitations", "get", lambda w: f"{API}/invitations/", MANAGERS, read_only=True),
    Case(
        "revoke an invitation",
        "post",
        lambda w: f"{API}/invitations/{w.invitation_id}/revoke/",
        MANAGERS,
    ),
    Case(
        "add a segment question",
        "post",
        lambda w: f"{API}/segment-questions/",
        MANAGERS,
        body=lambda w: {"label": "Age band", "choices": ["under 30", "30 to 60", "over 60"]},
        ok=201,
    ),
    Case(
        "delete a segment question",
        "delete",
        lambda w: f"{API}/segment-questions/{w.question_id}/",
        MANAGERS,
        ok=204,
    ),
    Case(
        "list segment questions",
        "get",
        lambda w: f"{API}/segment-questions/",
        MEMBERS,
        read_only=True,
        anonymous=404,
    ),
    Case(
        "answer segment questions",
        "put",
        lambda w: f"{API}/my-answers/",
        MEMBERS,
        body=lambda w: {"answers": [{"question": w.question_id, "choice": "North"}]},
    ),
    Case("leave", "post", lambda w: f"{API}/leave/", MEMBERS, ok=204),
    Case(
        # A private community: members are told they already belong (a
        # conflict with their membership), the others cannot see it at all.
        "join without an invitation",
        "post",
        lambda w: f"{API}/join/",
        set(),
        refused={name: 409 for name in MEMBERS},
    ),
    Case(
        "accept an invitation",
        "post",
        lambda w: f"/api/v1/invitations/{w.invitation_token}/accept/",
        {"non_member", "other_community"},
        ok=201,
        refused={"banned": 403, **{name: 200 for name in MEMBERS}},
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", API_CASES, ids=lambda c: c.name)
def test_api_enforces_the_role_table(world: World, persona: str, case: Case) -> None:
    client = client_for(world, persona)
    before = db_state()
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(
        case.url(world), data=body, content_type="application/json"
    )
    expected = case.expected(persona)
    assert response.status_code == expected, (persona, case.name, response.content[:300])
    changed = db_state() != before
    if persona in case.allowed and not case.read_only:
        assert changed, f"{case.name} by {persona} was accepted but changed nothing"
    else:
        assert not changed, f"{case.name} by {persona} was refused but changed the database"
    if response.status_code >= 400:
        assert "detail" in response.json(), "a refusal must say why"


# --- key web pages -----------------------------------------------------------------------

WEB = "/c/river"


def _login_redirect(case: Case) -> Case:
    case.anonymous = 302  # @login_required sends anonymous visitors to the log-in page
    return case


WEB_CASES = [
    Case("community page", "get", lambda w: f"{WEB}/", MEMBERS, read_only=True, anonymous=404),
    _login_redirect(Case("edit page", "get", lambda w: f"{WEB}/edit/", {"owner"}, read_only=True)),
    _login_redirect(
        Case(
            "save an edit",
            "post",
            lambda w: f"{WEB}/edit/",
            {"owner"},
            body=lambda w: {"name": "Renamed", "slug": "river", "visibility": "private"},
            ok=302,
        )
    ),
    _login_redirect(
        Case("members page", "get", lambda w: f"{WEB}/members/", MANAGERS, read_only=True)
    ),
    _login_redirect(
        Case(
            "change a role",
            "post",
            lambda w: f"{WEB}/members/{w.target.pk}/role/",
            MANAGERS,
            body=lambda w: {"role": "observer"},
            ok=302,
        )
    ),
    _login_redirect(
        Case("ban", "post", lambda w: f"{WEB}/members/{w.target.pk}/ban/", MANAGERS, ok=302)
    ),
    _login_redirect(
        Case(
            "create an invitation",
            "post",
            lambda w: f"{WEB}/invitations/",
            MANAGERS,
            body=lambda w: {"role": "member", "expires_in_days": "7"},
            ok=302,
        )
    ),
    _login_redirect(
        Case(
            "segment questions page", "get", lambda w: f"{WEB}/segments/", MANAGERS, read_only=True
        )
    ),
    _login_redirect(Case("leave", "post", lambda w: f"{WEB}/leave/", MEMBERS, ok=302)),
    Case(
        # Logged out, the invitation page explains how to sign up or log in;
        # members are sent to the community unchanged; banned people are refused.
        "accept an invitation",
        "post",
        lambda w: f"/invite/{w.invitation_token}/",
        {"non_member", "other_community"},
        ok=302,
        anonymous=200,
        refused={"banned": 403, **{name: 302 for name in MEMBERS}},
    ),
    _login_redirect(
        Case(
            "answer segment questions",
            "post",
            lambda w: f"{WEB}/my-answers/",
            MEMBERS,
            body=lambda w: {f"q{w.question_id}": "South"},
            ok=302,
        )
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", WEB_CASES, ids=lambda c: c.name)
def test_web_pages_enforce_the_role_table(world: World, persona: str, case: Case) -> None:
    client = client_for(world, persona)
    before = db_state()
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(case.url(world), data=body)
    assert response.status_code == case.expected(persona), (persona, case.name)
    if persona == "anonymous" and case.anonymous == 302:
        assert response["Location"].startswith("/accounts/login/?next=")
    changed = db_state() != before
    if persona in case.allowed and not case.read_only:
        assert changed, f"{case.name} by {persona} was accepted but changed nothing"
    else:
        assert not changed, f"{case.name} by {persona} was refused but changed the database"


def test_a_facilitator_cannot_act_on_an_owner_or_grant_ownership(world: World) -> None:
    client = client_for(world, "facilitator")
    owner = Membership.objects.get(user=world.users["owner"])
    before = db_state()
    attempts = [
        client.patch(
            f"{API}/members/{owner.pk}/", {"role": "member"}, content_type="application/json"
        ),
        client.post(f"{API}/members/{owner.pk}/ban/"),
        client.delete(f"{API}/members/{owner.pk}/"),
        client.patch(
            f"{API}/members/{world.target.pk}/", {"role": "owner"}, content_type="application/json"
        ),
        client.post(f"{API}/invitations/", {"role": "owner"}, content_type="application/json"),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert "above your own" in attempts[3].json()["detail"]
    assert db_state() == before


def test_a_revoked_token_gives_no_access_and_changes_nothing(world: World) -> None:
    from communities import services

    token, key = services.api_token_create(user=world.users["owner"], name="script")
    client = Client()
    ok = client.get(f"{API}/members/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200
    services.api_token_revoke(user=world.users["owner"], token_id=token.pk)
    before = db_state()
    refused = client.patch(
        f"{API}/",
        {"name": "Hijacked"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert refused.status_code in (401, 403)
    assert refused.json()["detail"] == "Invalid or revoked token."
    assert db_state() == before


def test_the_readme_shows_the_permission_table_as_roles_py_defines_it() -> None:
    from communities.roles import permission_table_markdown
    from tests.conftest import REPO

    assert permission_table_markdown() in (REPO / "README.md").read_text()
