"""Embedding: only /s/<id>/embed/ may be framed, only by the listed origins; its forms need no cookie."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from communities.roles import Role
from elicitation import services
from elicitation.embedding import embed_origins_parse, frame_ancestors
from elicitation.identity import xid_signature
from elicitation.models import Participant, Space, Statement, Vote
from tests.factories import MembershipFactory, SpaceFactory, StatementFactory, UserFactory

pytestmark = pytest.mark.django_db


def _frame_ancestors(response: object) -> str:
    csp = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    return next(p.strip() for p in csp.split(";") if p.strip().startswith("frame-ancestors"))


@pytest.fixture
def listed(space: Space) -> Space:
    space.embed_origins = "https://city.example\nhttp://127.0.0.1:8123/"
    space.save()
    StatementFactory.create(space=space, number=1)
    return space


def test_the_embed_page_may_be_framed_by_the_listed_origins_only(listed: Space) -> None:
    response = Client().get(f"/s/{listed.pk}/embed/")
    assert response.status_code == 200
    assert _frame_ancestors(response) == (
        "frame-ancestors https://city.example http://127.0.0.1:8123"
    )
    assert "X-Frame-Options" not in response.headers
    assert b"vote-card" in response.content


@pytest.mark.parametrize(
    "path", ["/s/{pk}/", "/s/{pk}/stand/", "/s/{pk}/statements/", "/", "/embed.js"]
)
def test_every_other_page_still_refuses_to_be_framed(listed: Space, path: str) -> None:
    response = Client().get(path.format(pk=listed.pk))
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert _frame_ancestors(response) == "frame-ancestors 'none'"


def test_a_space_without_origins_keeps_its_embed_page_unframable(space: Space) -> None:
    response = Client().get(f"/s/{space.pk}/embed/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert _frame_ancestors(response) == "frame-ancestors 'none'"


def test_any_site_is_an_explicit_choice(space: Space) -> None:
    space.embed_origins = "*"
    space.save()
    response = Client().get(f"/s/{space.pk}/embed/")
    assert _frame_ancestors(response) == "frame-ancestors *"


def test_a_members_only_space_has_no_embed_page_and_frames_nothing() -> None:
    space = SpaceFactory.create(participation=Space.Participation.MEMBERS, embed_origins="*")
    assert frame_ancestors(space) == []
    member = UserFactory.create()
    MembershipFactory.create(user=member, community=space.community, role=Role.MEMBER)
    client = Client()
    client.force_login(member)
    assert client.get(f"/s/{space.pk}/embed/").status_code == 404


@pytest.mark.parametrize(
    "text",
    [
        "city.example",
        "https://city.example/path",
        "https://city.example 'unsafe-inline'",
        "javascript:alert(1)",
        "https://a.example; script-src *",
        "https://a.example:99999",
    ],
)
def test_a_bad_origin_is_refused_naming_its_line(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        embed_origins_parse("https://ok.example\n" + text)
    assert "Line 2" in str(caught.value)


def test_the_settings_form_saves_origins_and_refuses_bad_ones(
    space: Space, facilitator: User
) -> None:
    with pytest.raises(ValidationError):
        services.space_update(space=space, actor=facilitator, embed_origins="not an origin")
    space.refresh_from_db()
    assert space.embed_origins == ""
    client = Client()
    client.force_login(facilitator)
    page = client.get(f"/s/{space.pk}/edit/")
    assert b"/embed.js" in page.content
    assert f"/s/{space.pk}/embed/".encode() in page.content


def test_voting_in_the_frame_uses_the_signed_xid_without_cookies_or_csrf(listed: Space) -> None:
    frame = Client(enforce_csrf_checks=True)
    sig = xid_signature(listed, "host-user-7")
    page = frame.get(f"/s/{listed.pk}/embed/?xid=host-user-7&xid_sig={sig}")
    assert b"host-user-7" in page.content  # carried in hx-vals for the forms
    frame.cookies.clear()  # a third-party frame may send none
    response = frame.post(
        f"/s/{listed.pk}/embed/vote/",
        {"statement": 1, "value": 1, "xid": "host-user-7", "xid_sig": sig},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    vote = Vote.objects.get()
    assert vote.participant.xid == "host-user-7"
    assert vote.value == 1


def test_an_unsigned_xid_in_the_frame_votes_as_a_new_anonymous_participant(listed: Space) -> None:
    Client().post(
        f"/s/{listed.pk}/embed/vote/",
        {"statement": 1, "value": -1, "xid": "host-user-7"},
        headers={"HX-Request": "true"},
    )
    assert not Participant.objects.filter(xid="host-user-7").exists()
    assert Vote.objects.get().participant.xid == ""


def test_without_xid_the_frame_keeps_its_participant_by_token(listed: Space) -> None:
    StatementFactory.create(space=listed, number=2)
    frame = Client(enforce_csrf_checks=True)
    first = frame.post(
        f"/s/{listed.pk}/embed/vote/", {"statement": 1, "value": 1}, headers={"HX-Request": "true"}
    )
    token = first.headers["X-Participant-Token"]
    frame.cookies.clear()
    frame.post(
        f"/s/{listed.pk}/embed/vote/",
        {"statement": 2, "value": 0},
        headers={"HX-Request": "true", "X-Participant-Token": token},
    )
    assert Participant.objects.filter(space=listed).count() == 1
    assert Vote.objects.count() == 2


def test_the_frame_ignores_the_session_user_so_a_forged_post_cannot_act_as_them(
    listed: Space, member: User
) -> None:
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(member)
    victim.post(
        f"/s/{listed.pk}/embed/vote/", {"statement": 1, "value": -1}, headers={"HX-Request": "true"}
    )
    assert not Vote.objects.filter(participant__user=member).exists()


def test_proposing_in_the_frame(space: Space) -> None:
    listed = space
    response = Client(enforce_csrf_checks=True).post(
        f"/s/{listed.pk}/embed/propose/",
        {"text": "Keep the riverbank open to everyone all year"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 201
    assert Statement.objects.filter(space=listed, text__startswith="Keep the riverbank").exists()


def test_the_embed_script_is_served_at_a_stable_address() -> None:
    response = Client().get("/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"polyphony:height" in response.content
