"""A private community's "anyone with the link" space is open only through its link.

Non-members (anonymous or logged in) who know only the numeric id get 404 on
every page and endpoint of the space, and nothing is written. Through the
link they take part: on the web /j/<token>/ leaves a signed grant cookie; over
the API they send the link token in X-Space-Link, or the participant token the
link gave them. Members, and public communities' link spaces, are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from communities.models import Community, Membership
from communities.roles import Role
from elicitation.identity import link_cookie_name, sign_token, xid_signature
from elicitation.models import (
    Argument,
    Comparison,
    Flag,
    Participant,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    ParticipantFactory,
    SpaceFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
TEXTS = [
    "Every neighbourhood should have a park nearby",
    "The council should publish every contract it signs",
    "Clean drinking water is a right, not a product",
]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    # Many refused requests from one address: keep them off each other's budget.
    cache.clear()
    yield
    cache.clear()


def _link_space(community: Community, **kwargs: Any) -> Space:
    space = SpaceFactory.create(
        community=community, participation=Space.Participation.LINK, **kwargs
    )
    for number, text in enumerate(TEXTS, start=1):
        StatementFactory.create(space=space, number=number, text=text, normalized_text=text.lower())
    space.statement_counter = len(TEXTS)
    space.save(update_fields=["statement_counter"])
    return space


@pytest.fixture
def private() -> Community:
    return CommunityFactory.create(slug="river", visibility=Community.Visibility.PRIVATE)


@pytest.fixture
def link_space(private: Community) -> Space:
    return _link_space(private)


@pytest.fixture
def outsider() -> User:
    return UserFactory.create(username="outsider")


def page(name: str, space: Space, **kwargs: Any) -> str:
    return reverse(f"elicitation:{name}", kwargs={"space_id": space.pk, **kwargs})


def join_url(space: Space) -> str:
    return reverse("elicitation:join", kwargs={"token": space.link_token})


def api_url(space: Space, rest: str = "") -> str:
    return f"/api/v1/spaces/{space.pk}/{rest}"


def db_state() -> tuple[list[Any], ...]:
    """Everything a participant can write, to check that a refusal wrote nothing."""
    return (
        list(Participant.objects.order_by("id").values_list("id", "user_id", "anon_token", "xid")),
        list(Statement.objects.order_by("id").values_list("id", "number", "text", "status")),
        list(Vote.objects.order_by("id").values_list("id", "participant_id", "value")),
        list(VoteEvent.objects.order_by("id").values_list("id", "value")),
        list(Comparison.objects.order_by("id").values_list("id", "choice")),
        list(RankingEntry.objects.order_by("id").values_list("id", "statement_id", "position")),
        list(Argument.objects.order_by("id").values_list("id", "text")),
        list(Flag.objects.order_by("id").values_list("id", "reason")),
    )


# --- Without the link: 404 everywhere, nothing written -------------------------------

PAGE_READS = [
    ("space", {}),
    ("live_counts", {}),
    ("statements", {}),
    ("statement", {"number": 1}),
    ("pairwise", {}),
    ("ranking", {}),
    ("stand", {}),
    ("decisions", {}),
]
PAGE_WRITES = [
    ("vote", {}, {"statement": 1, "value": 1}),
    ("propose", {}, {"text": "Rivers should be clean enough to swim in"}),
    ("argument_create", {"number": 1}, {"stance": "for", "text": "Parks keep people healthy."}),
    ("flag", {}, {"statement": 1, "reason": "Off topic"}),
    ("pairwise", {}, {"statement_a": 1, "statement_b": 2, "choice": "a"}),
    ("ranking", {}, {"position_1": "1", "position_2": "2"}),
]


def _visitor(persona: str, outsider: User) -> Client:
    client = Client()
    if persona == "outsider":
        client.force_login(outsider)
    return client


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
@pytest.mark.parametrize(("name", "kwargs"), PAGE_READS)
def test_without_the_link_no_page_of_the_space_exists_for_a_non_member(
    persona: str, name: str, kwargs: dict[str, Any], link_space: Space, outsider: User
) -> None:
    client = _visitor(persona, outsider)
    assert client.get(page(name, link_space, **kwargs)).status_code == 404
    assert client.get(page(name, link_space, **kwargs), headers=HX).status_code == 404
    assert not Participant.objects.exists()


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
@pytest.mark.parametrize(("name", "kwargs", "data"), PAGE_WRITES)
def test_without_the_link_a_non_members_form_posts_are_refused_and_write_nothing(
    persona: str,
    name: str,
    kwargs: dict[str, Any],
    data: dict[str, Any],
    link_space: Space,
    outsider: User,
) -> None:
    client = _visitor(persona, outsider)
    before = db_state()
    assert client.post(page(name, link_space, **kwargs), data).status_code == 404
    assert client.post(page(name, link_space, **kwargs), data, headers=HX).status_code == 404
    # An embedding site's xid is no substitute for the link.
    xid_url = page(name, link_space, **kwargs) + "?xid=ext-1"
    assert client.post(xid_url, {**data, "xid": "ext-1"}).status_code == 404
    assert db_state() == before
    assert not any(key.startswith("polyphony_") for key in client.cookies)


API_CALLS = [
    ("get", "", None),
    ("get", "statements/", None),
    ("get", "statements/next/", None),
    ("get", "statements/1/arguments/", None),
    ("get", "pairs/next/", None),
    ("get", "ranking/", None),
    ("get", "decisions/", None),
    ("post", "participants/", {}),
    ("post", "participants/", {"xid": "ext-1"}),
    ("post", "statements/", {"text": "Rivers should be clean enough to swim in"}),
    ("post", "votes/", {"statement": 1, "value": 1}),
    ("post", "votes/", {"statement": 1, "value": 1, "xid": "ext-1"}),
    ("post", "comparisons/", {"statement_a": 1, "statement_b": 2, "choice": "a"}),
    ("put", "ranking/", {"statements": [1, 2]}),
    ("post", "statements/1/arguments/", {"stance": "for", "text": "Parks keep people healthy."}),
    ("post", "flags/", {"statement": 1, "reason": "Off topic"}),
]


@pytest.fixture
def other_link_space(private: Community) -> Space:
    return _link_space(private)


def _api_visitor(persona: str, outsider: User, other: Space) -> tuple[APIClient, dict[str, str]]:
    """A client and the headers it sends: never proof for the space under test."""
    client = APIClient()
    if persona == "outsider":
        client.force_authenticate(outsider)
        return client, {}
    if persona == "wrong_link":
        return client, {"HTTP_X_SPACE_LINK": "not-the-link-token"}
    if persona == "other_spaces_link":
        return client, {"HTTP_X_SPACE_LINK": other.link_token}
    if persona == "other_spaces_participant":
        # A genuine participant token, but signed for another space.
        ParticipantFactory.create(space=other, anon_token="raw-other")
        return client, {"HTTP_X_PARTICIPANT_TOKEN": sign_token(other, "raw-other")}
    return client, {}


@pytest.mark.parametrize(
    "persona",
    ["anonymous", "outsider", "wrong_link", "other_spaces_link", "other_spaces_participant"],
)
@pytest.mark.parametrize(("method", "rest", "body"), API_CALLS)
def test_without_the_link_the_api_answers_404_and_writes_nothing(
    persona: str,
    method: str,
    rest: str,
    body: dict[str, Any] | None,
    link_space: Space,
    other_link_space: Space,
    outsider: User,
) -> None:
    client, headers = _api_visitor(persona, outsider, other_link_space)
    before = db_state()
    call = getattr(client, method)
    if body is None:
        response = call(api_url(link_space, rest), **headers)
    else:
        response = call(api_url(link_space, rest), body, format="json", **headers)
    assert response.status_code == 404, response.content
    assert "X-Participant-Token" not in response
    assert db_state() == before


def test_a_wrong_link_token_leads_nowhere(client: Client, link_space: Space) -> None:
    response = client.get(reverse("elicitation:join", kwargs={"token": "guessed"}))
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    assert link_cookie_name(link_space.pk) not in client.cookies  # no grant


def test_a_grant_opens_only_its_own_space(
    client: Client, link_space: Space, other_link_space: Space
) -> None:
    client.get(join_url(link_space))
    grant = client.cookies[link_cookie_name(link_space.pk)].value
    assert client.get(link_space.get_absolute_url()).status_code == 200
    assert client.get(other_link_space.get_absolute_url()).status_code == 404
    # Moved under the other space's name, the grant still names its own space.
    client.cookies[link_cookie_name(other_link_space.pk)] = grant
    assert client.get(other_link_space.get_absolute_url()).status_code == 404
    response = client.post(page("vote", other_link_space), {"statement": 1, "value": 1})
    assert response.status_code == 404
    assert not Participant.objects.exists()


def test_an_unsigned_grant_cookie_is_not_a_grant(client: Client, link_space: Space) -> None:
    client.cookies[link_cookie_name(link_space.pk)] = f"{link_space.pk}.{link_space.link_token}"
    assert client.get(link_space.get_absolute_url()).status_code == 404
    assert client.post(page("vote", link_space), {"statement": 1, "value": 1}).status_code == 404
    assert not Vote.objects.exists()


def test_the_link_of_a_members_only_space_opens_nothing_to_outsiders(
    client: Client, private: Community
) -> None:
    space = _link_space(private)
    space.participation = Space.Participation.MEMBERS
    space.save(update_fields=["participation"])
    assert client.get(join_url(space)).status_code == 404
    assert link_cookie_name(space.pk) not in client.cookies
    api = APIClient()
    response = api.post(
        api_url(space, "participants/"), {}, format="json", HTTP_X_SPACE_LINK=space.link_token
    )
    assert response.status_code == 404
    assert not Participant.objects.exists()


def test_the_link_of_a_draft_opens_nothing(client: Client, private: Community) -> None:
    space = _link_space(private, phase=Space.Phase.DRAFT)
    assert client.get(join_url(space)).status_code == 404
    response = APIClient().post(
        api_url(space, "participants/"), {}, format="json", HTTP_X_SPACE_LINK=space.link_token
    )
    assert response.status_code == 404
    assert not Participant.objects.exists()


def test_a_banned_member_gets_nothing_even_with_the_link(
    client: Client, link_space: Space, outsider: User
) -> None:
    MembershipFactory.create(
        user=outsider, community=link_space.community, status=Membership.Status.BANNED
    )
    client.force_login(outsider)
    assert client.get(join_url(link_space)).status_code == 404
    api = APIClient()
    api.force_authenticate(outsider)
    response = api.post(
        api_url(link_space, "votes/"),
        {"statement": 1, "value": 1},
        format="json",
        HTTP_X_SPACE_LINK=link_space.link_token,
    )
    assert response.status_code == 404
    assert not Participant.objects.exists()


# --- Through the link on the web --------------------------------------------------------


def test_through_the_link_an_anonymous_visitor_views_votes_and_proposes(
    client: Client, link_space: Space
) -> None:
    joined = client.get(join_url(link_space))
    assert joined.status_code == 302
    assert joined["Location"] == link_space.get_absolute_url()
    grant = joined.cookies[link_cookie_name(link_space.pk)]
    assert grant["httponly"]
    assert link_space.link_token in grant.value  # bound to the current link
    view = client.get(link_space.get_absolute_url())
    assert view.status_code == 200
    assert link_space.question in view.content.decode()
    assert not Participant.objects.exists()  # looking creates nobody

    card = client.post(page("vote", link_space), {"statement": 1, "value": 1}, headers=HX)
    assert card.status_code == 200
    plain = client.post(page("vote", link_space), {"statement": 2, "value": -1})
    assert plain.status_code == 302
    proposed = client.post(
        page("propose", link_space), {"text": "Rivers should be clean enough to swim in"}
    )
    assert proposed.status_code == 302

    participant = Participant.objects.get(space=link_space)
    assert participant.user is None
    assert participant.anon_token
    votes = Vote.objects.filter(participant=participant).order_by("statement__number")
    # Statement 4 is the visitor's own: its author's implied agree.
    assert [(v.statement.number, v.value) for v in votes] == [(1, 1), (2, -1), (4, 1)]
    statement = Statement.objects.get(space=link_space, number=4)
    assert statement.author == participant
    assert statement.text == "Rivers should be clean enough to swim in"


def test_through_the_link_every_activity_and_page_of_the_space_is_open(
    client: Client, link_space: Space
) -> None:
    client.get(join_url(link_space))
    for name, kwargs in PAGE_READS:
        assert client.get(page(name, link_space, **kwargs)).status_code == 200, name
        assert client.get(page(name, link_space, **kwargs), headers=HX).status_code == 200, name
    for name, kwargs, data in PAGE_WRITES:
        assert client.post(page(name, link_space, **kwargs), data).status_code == 302, name
    participant = Participant.objects.get(space=link_space)
    # One vote cast, one implied by the statement proposed.
    assert Vote.objects.filter(participant=participant).count() == 2
    assert Statement.objects.filter(author=participant).count() == 1
    assert Argument.objects.filter(author=participant).count() == 1
    assert Flag.objects.filter(reporter=participant).count() == 1
    assert Comparison.objects.filter(participant=participant).count() == 1
    assert RankingEntry.objects.filter(ranking__participant=participant).count() == 2


def test_through_the_link_a_logged_in_non_member_votes_as_themselves(
    client: Client, link_space: Space, outsider: User
) -> None:
    client.force_login(outsider)
    client.get(join_url(link_space))
    response = client.post(page("vote", link_space), {"statement": 1, "value": 0})
    assert response.status_code == 302
    vote = Vote.objects.get()
    assert vote.participant.user == outsider
    assert vote.value == 0


def test_an_embedding_site_passes_the_link_and_its_user_id_in_the_iframe_url(
    client: Client, link_space: Space
) -> None:
    signature = xid_signature(link_space, "ext-42")
    joined = client.get(join_url(link_space) + f"?xid=ext-42&xid_sig={signature}")
    assert joined.status_code == 302
    assert joined["Location"] == link_space.get_absolute_url() + f"?xid=ext-42&xid_sig={signature}"
    assert client.get(joined["Location"]).status_code == 200
    response = client.post(page("vote", link_space), {"statement": 1, "value": 1}, headers=HX)
    assert response.status_code == 200
    participant = Participant.objects.get()
    assert participant.xid == "ext-42"
    assert Vote.objects.get().participant == participant


# --- Through the link over the API ------------------------------------------------------


def test_over_the_api_an_outsider_joins_with_the_link_and_keeps_voting_with_the_token(
    link_space: Space,
) -> None:
    joined = APIClient().post(
        api_url(link_space, "participants/"),
        {},
        format="json",
        HTTP_X_SPACE_LINK=link_space.link_token,
    )
    assert joined.status_code == 201
    token = joined.data["token"]
    assert token
    client = APIClient()  # no cookies: the participant token alone from here on
    auth: dict[str, Any] = {"HTTP_X_PARTICIPANT_TOKEN": token}
    # Plain JSON integers take the vote API's fast path ...
    fast = client.post(
        api_url(link_space, "votes/"), {"statement": 1, "value": 1}, format="json", **auth
    )
    assert fast.status_code == 201, fast.content
    # ... numbers sent as strings take the full path: both admit the token.
    full = client.post(
        api_url(link_space, "votes/"), {"statement": "2", "value": "-1"}, format="json", **auth
    )
    assert full.status_code == 201, full.content
    proposed = client.post(
        api_url(link_space, "statements/"),
        {"text": "Rivers should be clean enough to swim in"},
        format="json",
        **auth,
    )
    assert proposed.status_code == 201, proposed.content
    nxt = client.get(api_url(link_space, "statements/next/"), **auth)
    assert nxt.status_code == 200
    # Two votes cast plus the implied agree on the statement proposed.
    assert (nxt.data["voted"], nxt.data["total"]) == (3, 4)
    compared = client.post(
        api_url(link_space, "comparisons/"),
        {"statement_a": 1, "statement_b": 2, "choice": "b"},
        format="json",
        **auth,
    )
    ranked = client.put(
        api_url(link_space, "ranking/"), {"statements": [3, 1]}, format="json", **auth
    )
    argued = client.post(
        api_url(link_space, "statements/1/arguments/"),
        {"stance": "against", "text": "Parks cost money we need elsewhere."},
        format="json",
        **auth,
    )
    assert (compared.status_code, ranked.status_code, argued.status_code) == (201, 200, 201)

    participant = Participant.objects.get()
    assert participant.number == joined.data["number"]
    votes = Vote.objects.filter(participant=participant).order_by("statement__number")
    # Statement 4 is the outsider's own: its author's implied agree.
    assert [(v.statement.number, v.value) for v in votes] == [(1, 1), (2, -1), (4, 1)]
    assert Statement.objects.get(number=4).author == participant
    assert Comparison.objects.get().participant == participant
    assert Argument.objects.get().author == participant


def test_over_the_api_the_link_token_alone_lets_a_client_read_and_vote(
    link_space: Space,
) -> None:
    client = APIClient()
    link: dict[str, Any] = {"HTTP_X_SPACE_LINK": link_space.link_token}
    listed = client.get(api_url(link_space, "statements/"), **link)
    assert listed.status_code == 200
    assert [s["number"] for s in listed.data["results"]] == [1, 2, 3]
    assert not Participant.objects.exists()
    voted = client.post(
        api_url(link_space, "votes/"), {"statement": 3, "value": 1}, format="json", **link
    )
    assert voted.status_code == 201
    assert voted["X-Participant-Token"]
    assert Vote.objects.get().statement.number == 3


def test_over_the_api_a_logged_in_outsider_sends_the_link_with_each_request(
    link_space: Space, outsider: User
) -> None:
    client = APIClient()
    client.force_authenticate(outsider)
    link: dict[str, Any] = {"HTTP_X_SPACE_LINK": link_space.link_token}
    joined = client.post(api_url(link_space, "participants/"), {}, format="json", **link)
    assert joined.status_code == 201
    assert joined.data["token"] == ""  # logged-in participants are their account
    voted = client.post(
        api_url(link_space, "votes/"), {"statement": 1, "value": 1}, format="json", **link
    )
    assert voted.status_code == 201
    without = client.post(
        api_url(link_space, "votes/"), {"statement": 1, "value": -1}, format="json"
    )
    assert without.status_code == 404
    vote = Vote.objects.get()
    assert (vote.participant.user, vote.value) == (outsider, 1)


def test_over_the_api_an_embedding_sites_server_votes_for_its_users_with_the_link(
    link_space: Space,
) -> None:
    client = APIClient()
    link: dict[str, Any] = {"HTTP_X_SPACE_LINK": link_space.link_token}
    voted = client.post(
        api_url(link_space, "votes/"),
        {"statement": 1, "value": 1, "xid": "ext-9"},
        format="json",
        HTTP_X_XID_SIGNATURE=xid_signature(link_space, "ext-9"),
        **link,
    )
    assert voted.status_code == 201
    assert Vote.objects.get().participant.xid == "ext-9"


def test_the_openapi_document_describes_the_link_header() -> None:
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    join = schema["paths"]["/api/v1/spaces/{space_id}/participants/"]["post"]
    headers = {p["name"] for p in join["parameters"] if p["in"] == "header"}
    assert {"X-Space-Link", "X-Participant-Token"} <= headers
    reads = schema["paths"]["/api/v1/spaces/{space_id}/statements/"]["get"]
    assert "X-Space-Link" in {p["name"] for p in reads["parameters"]}


# --- Unchanged: members, public communities, members-only results ------------------------


def test_members_need_no_link(link_space: Space) -> None:
    member = UserFactory.create(username="mia")
    MembershipFactory.create(user=member, community=link_space.community, role=Role.MEMBER)
    client = Client()
    client.force_login(member)
    assert client.get(link_space.get_absolute_url()).status_code == 200
    assert client.post(page("vote", link_space), {"statement": 1, "value": 1}).status_code == 302
    api = APIClient()
    api.force_authenticate(member)
    response = api.post(api_url(link_space, "votes/"), {"statement": 2, "value": -1}, format="json")
    assert response.status_code == 201
    assert Vote.objects.filter(participant__user=member).count() == 2


def test_a_public_communitys_link_space_still_opens_by_its_id() -> None:
    space = _link_space(CommunityFactory.create(visibility=Community.Visibility.PUBLIC))
    client = Client()
    assert client.get(space.get_absolute_url()).status_code == 200
    assert client.post(page("vote", space), {"statement": 1, "value": 1}).status_code == 302
    joined = APIClient().post(api_url(space, "participants/"), {}, format="json")
    assert joined.status_code == 201
    assert Participant.objects.filter(space=space).count() == 2


def test_the_link_does_not_open_a_private_spaces_results_or_export(
    link_space: Space, outsider: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aggregation import analysis
    from tests.aggregation.conftest import published

    monkeypatch.setattr(analysis, "BOOTSTRAP_RESAMPLES", 20)  # as the aggregation tests do
    for number in range(12):
        voter = ParticipantFactory.create(space=link_space, number=number + 1)
        for statement in link_space.statements.all():
            Vote.objects.create(participant=voter, statement=statement, value=1)
    published(link_space)
    member = UserFactory.create(username="mia")
    MembershipFactory.create(user=member, community=link_space.community, role=Role.MEMBER)
    facilitator = UserFactory.create(username="fran")
    MembershipFactory.create(
        user=facilitator, community=link_space.community, role=Role.FACILITATOR
    )
    profile_page = reverse("aggregation:profile", kwargs={"space_id": link_space.pk})
    profile_api = f"/api/v1/spaces/{link_space.pk}/profiles/latest/"
    export_page = page("polis_export", link_space)
    export_api = api_url(link_space, "export/polis.zip")

    holder = Client()
    holder.force_login(outsider)
    holder.get(join_url(link_space))
    link: dict[str, Any] = {"HTTP_X_SPACE_LINK": link_space.link_token}
    assert holder.get(link_space.get_absolute_url()).status_code == 200
    assert holder.get(profile_page).status_code == 404
    assert holder.get(export_page).status_code == 404
    anonymous = APIClient()
    assert anonymous.get(profile_api, **link).status_code == 404
    # Export is for logged-in facilitators: refused before any space is looked up.
    assert anonymous.get(export_api, **link).status_code in (401, 403)
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get(profile_api, **link).status_code == 404
    assert api.get(export_api, **link).status_code == 404

    insider = Client()
    insider.force_login(member)
    assert insider.get(profile_page).status_code == 200
    api = APIClient()
    api.force_authenticate(member)
    assert api.get(profile_api).status_code == 200
    insider.force_login(facilitator)
    assert insider.get(export_page).status_code == 200


def test_a_facilitator_replaces_the_link_and_the_old_one_stops_working(
    link_space: Space,
) -> None:
    old_url = join_url(link_space)
    visitor = Client()
    assert visitor.get(old_url).status_code == 302  # holds a grant from the old link
    facilitator = UserFactory.create()
    MembershipFactory.create(
        user=facilitator, community=link_space.community, role=Role.FACILITATOR
    )
    staff = Client()
    staff.force_login(facilitator)
    rotate = reverse("elicitation:space_link_rotate", kwargs={"space_id": link_space.pk})

    answer = staff.post(rotate, follow=True)

    assert answer.status_code == 200
    link_space.refresh_from_db()
    new_url = join_url(link_space)
    assert new_url != old_url
    page_text = answer.content.decode()
    assert "the old one no longer works" in page_text
    assert f"http://testserver{new_url}" in page_text
    # The old link: a clear page, no grant, nothing about the space.
    stranger = Client()
    gone = stranger.get(old_url)
    assert gone.status_code == 404
    assert b"This link does not work" in gone.content
    assert link_space.title.encode() not in gone.content
    assert link_cookie_name(link_space.pk) not in stranger.cookies
    # Grants and X-Space-Link from the old link lapse; the new link works.
    assert visitor.get(link_space.get_absolute_url()).status_code == 404
    old_token = old_url.rstrip("/").rsplit("/", 1)[1]
    api = APIClient()
    joined = api.post(
        f"/api/v1/spaces/{link_space.pk}/participants/", {}, HTTP_X_SPACE_LINK=old_token
    )
    assert joined.status_code == 404
    assert Client().get(new_url).status_code == 302
    # Recorded publicly, without either token.
    entry = link_space.decisions.get()
    assert entry.action == "rotate_link"
    assert entry.actor == facilitator
    log = staff.get(reverse("elicitation:decisions", kwargs={"space_id": link_space.pk}))
    assert b"Replaced the link" in log.content
    assert old_token.encode() not in log.content
    assert link_space.link_token.encode() not in log.content


def test_only_facilitators_replace_the_link(link_space: Space) -> None:
    before = link_space.link_token
    member = UserFactory.create()
    MembershipFactory.create(user=member, community=link_space.community, role=Role.MEMBER)
    client = Client()
    client.force_login(member)
    rotate = reverse("elicitation:space_link_rotate", kwargs={"space_id": link_space.pk})
    assert client.post(rotate).status_code in (403, 404)
    assert Client().post(rotate).status_code == 302  # to the log-in page
    link_space.refresh_from_db()
    assert link_space.link_token == before
    assert not link_space.decisions.exists()
