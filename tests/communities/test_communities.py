"""Communities, memberships, invitations and segments: through the pages and the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from communities import selectors, services
from communities.models import Community, Invitation, Membership, SegmentAnswer
from communities.roles import Role
from communities.services import invitations
from config.exceptions import Conflict, Forbidden, Invalid
from tests.communities.conftest import db_state
from tests.factories import (
    CommunityFactory,
    InvitationFactory,
    MembershipFactory,
    SegmentQuestionFactory,
    SpaceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- creating and editing ------------------------------------------------------------


def test_creating_a_community_makes_the_creator_its_owner(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(
        "/communities/new/",
        {"name": "Harbour Town", "slug": "", "description": "A port.", "visibility": "public"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/c/harbour-town/"
    community = Community.objects.get(slug="harbour-town")
    assert community.created_by == user
    assert Membership.objects.get(community=community, user=user).role == Role.OWNER


def test_a_duplicate_slug_is_refused_with_a_pointer_to_the_existing_community(
    client: Client,
) -> None:
    CommunityFactory.create(name="Harbour Town", slug="harbour")
    client.force_login(UserFactory.create())
    before = db_state()
    response = client.post(
        "/communities/new/", {"name": "Another harbour", "slug": "harbour", "visibility": "public"}
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["slug"])
    assert "Harbour Town" in errors
    assert "/c/harbour/" in errors
    assert db_state() == before


def test_a_duplicate_slug_of_a_private_community_does_not_reveal_its_name() -> None:
    CommunityFactory.create(name="Secret Circle", slug="circle", visibility="private")
    with pytest.raises(ValidationError) as error:
        services.community_create(user=UserFactory.create(), name="Circle", slug="circle")
    assert "already taken" in str(error.value)
    assert "Secret Circle" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "message"), [("ab", "at least 3"), ("!!!", "letter or digit"), ("   ", "at least 3")]
)
def test_names_are_validated(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.community_create(user=UserFactory.create(), name=name)
    assert message in str(error.value.message_dict["name"])
    assert not Community.objects.exists()


def test_the_owner_edits_the_community(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    client.force_login(owner.user)
    slug = owner.community.slug
    response = client.post(
        f"/c/{slug}/edit/",
        {"name": "New name", "slug": "new-slug", "description": "", "visibility": "private"},
    )
    assert response.status_code == 302
    community = Community.objects.get(pk=owner.community.pk)
    assert (community.name, community.slug, community.visibility) == (
        "New name",
        "new-slug",
        "private",
    )


def test_editing_to_a_taken_slug_changes_nothing(client: Client) -> None:
    CommunityFactory.create(slug="taken")
    owner = MembershipFactory.create(role=Role.OWNER)
    client.force_login(owner.user)
    before = db_state()
    response = client.post(
        f"/c/{owner.community.slug}/edit/",
        {"name": "New name", "slug": "taken", "visibility": "public"},
    )
    assert response.status_code == 400
    assert db_state() == before


# --- seeing ----------------------------------------------------------------------------


def test_private_communities_are_listed_only_for_their_members(client: Client) -> None:
    CommunityFactory.create(name="Open Field")
    private = CommunityFactory.create(name="Closed Garden", visibility="private")
    assert b"Closed Garden" not in client.get("/").content
    assert client.get(f"/c/{private.slug}/").status_code == 404
    member = MembershipFactory.create(community=private)
    client.force_login(member.user)
    assert b"Closed Garden" in client.get("/").content
    assert client.get(f"/c/{private.slug}/").status_code == 200


def test_the_detail_page_shows_spaces_and_members_to_members_only(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    community = CommunityFactory.create()
    SpaceFactory.create(community=community, title="Park future")
    SpaceFactory.create(community=community, title="Hidden draft", phase="draft")
    for n in range(8):
        MembershipFactory.create(
            community=community, user=UserFactory.create(username=f"member-name-{n}")
        )
    anonymous = client.get(f"/c/{community.slug}/")
    assert b"Park future" in anonymous.content
    assert b"Hidden draft" not in anonymous.content
    # Usernames long enough that no random token (CSRF, links) contains them by chance.
    assert b"member-name-7" not in anonymous.content
    assert b"8 members" in anonymous.content
    client.force_login(UserFactory.create(username="member-name-7"))
    with django_assert_max_num_queries(12):
        page = client.get(f"/c/{community.slug}/")
    assert b"member-name-0" in page.content


def test_a_banned_member_cannot_see_a_private_community_or_its_api(client: Client) -> None:
    banned = MembershipFactory.create(
        community=CommunityFactory.create(visibility="private"), status=Membership.Status.BANNED
    )
    client.force_login(banned.user)
    assert client.get(f"/c/{banned.community.slug}/").status_code == 404
    assert client.get(f"/api/v1/communities/{banned.community.slug}/").status_code == 404
    assert banned.community.name.encode() not in client.get("/").content


# --- joining and leaving --------------------------------------------------------------


def test_a_user_joins_a_public_community_and_leaves_it(client: Client) -> None:
    community = CommunityFactory.create()
    user = UserFactory.create()
    client.force_login(user)
    assert client.post(f"/c/{community.slug}/join/").status_code == 302
    assert Membership.objects.get(user=user, community=community).role == Role.MEMBER
    again = client.post(f"/c/{community.slug}/join/")
    assert again.status_code == 409
    assert b"already a member" in again.content
    assert client.post(f"/c/{community.slug}/leave/").status_code == 302
    assert not Membership.objects.filter(user=user, community=community).exists()


def test_joining_asks_for_the_optional_segment_questions() -> None:
    community = CommunityFactory.create()
    SegmentQuestionFactory.create(community=community)
    client = Client()
    client.force_login(UserFactory.create())
    response = client.post(f"/c/{community.slug}/join/")
    assert response["Location"] == f"/c/{community.slug}/my-answers/"


def test_an_anonymous_join_leads_to_the_log_in_page(client: Client) -> None:
    community = CommunityFactory.create()
    response = client.post(f"/c/{community.slug}/join/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/c/{community.slug}/"
    assert not Membership.objects.exists()


def test_a_private_community_cannot_be_joined_without_an_invitation() -> None:
    community = CommunityFactory.create(visibility="private")
    with pytest.raises(Forbidden, match="invitation"):
        services.membership_join(user=UserFactory.create(), community=community)
    assert not Membership.objects.exists()


def test_the_last_owner_cannot_leave(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    client.force_login(owner.user)
    response = client.post(f"/c/{owner.community.slug}/leave/")
    assert response.status_code == 409
    assert b"last owner" in response.content
    assert Membership.objects.filter(pk=owner.pk).exists()
    MembershipFactory.create(community=owner.community, role=Role.OWNER)
    assert client.post(f"/c/{owner.community.slug}/leave/").status_code == 302
    assert not Membership.objects.filter(pk=owner.pk).exists()


# --- roles, removal, bans -------------------------------------------------------------


def test_an_owner_cannot_demote_the_last_owner() -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    with pytest.raises(ValidationError, match="last owner"):
        services.membership_change_role(
            actor=owner.user, community=owner.community, membership_id=owner.pk, role=Role.MEMBER
        )
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_may_make_someone_owner_and_then_step_down() -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    other = MembershipFactory.create(community=owner.community)
    services.membership_change_role(
        actor=owner.user, community=owner.community, membership_id=other.pk, role=Role.OWNER
    )
    services.membership_change_role(
        actor=owner.user, community=owner.community, membership_id=owner.pk, role=Role.MEMBER
    )
    assert Membership.objects.get(pk=other.pk).role == Role.OWNER
    assert Membership.objects.get(pk=owner.pk).role == Role.MEMBER


def test_a_facilitator_promotes_a_member_to_facilitator_but_not_further() -> None:
    facilitator = MembershipFactory.create(role=Role.FACILITATOR)
    member = MembershipFactory.create(community=facilitator.community)
    services.membership_change_role(
        actor=facilitator.user,
        community=facilitator.community,
        membership_id=member.pk,
        role=Role.FACILITATOR,
    )
    member.refresh_from_db()
    assert member.role == Role.FACILITATOR
    # Now equal in rank: a facilitator cannot demote another facilitator.
    with pytest.raises(Forbidden):
        services.membership_change_role(
            actor=facilitator.user,
            community=facilitator.community,
            membership_id=member.pk,
            role=Role.MEMBER,
        )


def test_a_member_role_change_through_the_page_with_htmx_returns_the_member_list(
    client: Client,
) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    member = MembershipFactory.create(community=owner.community)
    client.force_login(owner.user)
    response = client.post(
        f"/c/{owner.community.slug}/members/{member.pk}/role/",
        {"role": "facilitator"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b'id="member-list"' in response.content
    assert b"<html" not in response.content
    member.refresh_from_db()
    assert member.role == Role.FACILITATOR


def test_an_unknown_role_is_a_400_and_changes_nothing(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    member = MembershipFactory.create(community=owner.community)
    client.force_login(owner.user)
    before = db_state()
    response = client.post(
        f"/c/{owner.community.slug}/members/{member.pk}/role/", {"role": "emperor"}
    )
    assert response.status_code == 400
    assert db_state() == before


def test_a_banned_member_cannot_rejoin_by_link_and_an_unban_lets_them(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    community = owner.community
    question = SegmentQuestionFactory.create(community=community)
    member = MembershipFactory.create(community=community)
    SegmentAnswer.objects.create(membership=member, question=question, choice="North")
    invitation = InvitationFactory.create(community=community)
    services.membership_ban(actor=owner.user, community=community, membership_id=member.pk)
    assert not SegmentAnswer.objects.exists()  # no longer counted anywhere
    client.force_login(member.user)
    assert client.post(f"/c/{community.slug}/join/").status_code == 404
    refused = client.post(f"/invite/{invitation.token}/")
    assert refused.status_code == 403
    assert b"banned" in refused.content
    invitation.refresh_from_db()
    assert invitation.uses == 0
    services.membership_unban(actor=owner.user, community=community, membership_id=member.pk)
    assert client.post(f"/invite/{invitation.token}/").status_code == 302
    assert Membership.objects.get(user=member.user, community=community).status == "active"


def test_removing_a_member_through_the_page(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    member = MembershipFactory.create(community=owner.community)
    client.force_login(owner.user)
    response = client.post(f"/c/{owner.community.slug}/members/{member.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_nobody_removes_or_bans_themselves_through_the_manage_actions() -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    for service in (services.membership_remove, services.membership_ban):
        with pytest.raises(Invalid):
            service(actor=owner.user, community=owner.community, membership_id=owner.pk)
    owner.refresh_from_db()
    assert owner.status == Membership.Status.ACTIVE


def test_the_members_page_lists_members_without_n_plus_one(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    for _ in range(15):
        MembershipFactory.create(community=owner.community)
    for _ in range(5):
        InvitationFactory.create(community=owner.community)
    client.force_login(owner.user)
    with django_assert_max_num_queries(10):
        response = client.get(f"/c/{owner.community.slug}/members/")
    assert response.status_code == 200
    assert response.content.count(b"Change role") == 16


# --- invitations ------------------------------------------------------------------------


def test_an_invitation_is_created_on_the_members_page(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    client.force_login(owner.user)
    response = client.post(
        f"/c/{owner.community.slug}/invitations/",
        {"role": "facilitator", "expires_in_days": "3", "max_uses": "2"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.FACILITATOR
    assert invitation.max_uses == 2
    assert invitation.expires_at is not None
    assert timedelta(days=2) < invitation.expires_at - timezone.now() <= timedelta(days=3)
    page = client.get(f"/c/{owner.community.slug}/members/")
    assert f"/invite/{invitation.token}/".encode() in page.content


def test_a_facilitator_cannot_invite_owners(client: Client) -> None:
    facilitator = MembershipFactory.create(role=Role.FACILITATOR)
    client.force_login(facilitator.user)
    before = db_state()
    response = client.post(
        f"/c/{facilitator.community.slug}/invitations/", {"role": "owner", "expires_in_days": "3"}
    )
    assert response.status_code == 400  # not among the offered choices
    assert db_state() == before
    with pytest.raises(Forbidden, match="above your own"):
        services.invitation_create(
            actor=facilitator.user, community=facilitator.community, role=Role.OWNER
        )


def test_accepting_while_logged_out_leads_through_sign_up_and_back(client: Client) -> None:
    invitation = InvitationFactory.create(
        community=CommunityFactory.create(name="Quiet Valley", visibility="private"),
        role=Role.OBSERVER,
    )
    link = f"/invite/{invitation.token}/"
    landing = client.get(link)
    assert landing.status_code == 200
    assert b"Quiet Valley" in landing.content
    assert f'href="/accounts/signup/?next={link}"'.encode() in landing.content
    assert f'href="/accounts/login/?next={link}"'.encode() in landing.content
    posted = client.post(link)  # logged out: shows the page, joins nobody
    assert posted.status_code == 200
    signed_up = client.post(
        f"/accounts/signup/?next={link}",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert signed_up["Location"] == link
    accepted = client.post(link)
    assert accepted.status_code == 302
    membership = Membership.objects.get(user__username="newbie")
    assert membership.role == Role.OBSERVER
    invitation.refresh_from_db()
    assert invitation.uses == 1


def test_accepting_while_logged_out_leads_through_log_in_and_back(client: Client) -> None:
    invitation = InvitationFactory.create()
    UserFactory.create(username="returning")
    link = f"/invite/{invitation.token}/"
    response = client.post(
        f"/accounts/login/?next={link}",
        {"username": "returning", "password": "correct-horse-battery", "next": link},
    )
    assert response["Location"] == link


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"revoked_at": timezone.now()}, b"revoked"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, b"expired"),
        ({"max_uses": 2, "uses": 2}, b"used as many times"),
    ],
)
def test_unusable_invitations_get_a_clear_410_and_change_nothing(
    client: Client, fields: dict[str, Any], message: bytes
) -> None:
    invitation = InvitationFactory.create(**fields)
    client.force_login(UserFactory.create())
    before = db_state()
    assert message in client.get(f"/invite/{invitation.token}/").content
    response = client.post(f"/invite/{invitation.token}/")
    assert response.status_code == 410
    assert message in response.content
    assert db_state() == before


def test_an_unknown_invitation_token_is_a_404(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.post("/invite/not-a-token/").status_code == 404


def test_the_use_limit_holds_even_when_the_check_passed_before_another_acceptance() -> None:
    invitation = InvitationFactory.create(max_uses=1)
    services.invitation_accept(user=UserFactory.create(), token=invitation.token)
    # A second acceptance whose check ran before the first one counted its use
    # (simulated: the first check says "usable"): the conditional UPDATE alone
    # must refuse it.

    with (
        mock.patch.object(invitations, "invitation_problem", side_effect=[None, "used_up"]),
        pytest.raises(services.InvitationUnusable) as error,
    ):
        services.invitation_accept(user=UserFactory.create(), token=invitation.token)
    assert error.value.reason == "used_up"
    invitation.refresh_from_db()
    assert invitation.uses == 1
    assert Membership.objects.count() == 1


def test_an_existing_member_accepting_keeps_their_role_and_does_not_use_the_link() -> None:
    member = MembershipFactory.create(role=Role.MEMBER)
    invitation = InvitationFactory.create(community=member.community, role=Role.OBSERVER)
    membership, created = services.invitation_accept(user=member.user, token=invitation.token)
    assert not created
    assert membership.role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.uses == 0


def test_a_revoked_invitation_link_stops_working(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    invitation = InvitationFactory.create(community=owner.community)
    client.force_login(owner.user)
    assert (
        client.post(f"/c/{owner.community.slug}/invitations/{invitation.pk}/revoke/").status_code
        == 302
    )
    visitor = Client()
    visitor.force_login(UserFactory.create())
    assert visitor.post(f"/invite/{invitation.token}/").status_code == 410


@pytest.mark.parametrize(
    "fields",
    [
        {"revoked_at": timezone.now()},
        {"expires_at": timezone.now() - timedelta(minutes=1)},
        {"max_uses": 1, "uses": 1},
    ],
    ids=["revoked", "expired", "used_up"],
)
def test_a_dead_invitation_link_names_nothing_to_someone_outside_the_community(
    client: Client, fields: dict[str, Any]
) -> None:
    community = CommunityFactory.create(
        name="Whistleblowers of Northgate",
        slug="northgate-wb",
        description="Where we compare notes on the plant.",
        visibility=Community.Visibility.PRIVATE,
    )
    invitation = InvitationFactory.create(community=community, role=Role.FACILITATOR, **fields)
    link = f"/invite/{invitation.token}/"
    outsider = Client()
    outsider.force_login(UserFactory.create())
    for visitor in (client, outsider):
        for answer in (visitor.get(link), visitor.post(link)):
            assert answer.status_code == 410
            page = answer.content.decode()
            assert "This invitation no longer works" in page
            assert "Ask the person who sent it for a new link" in page
            for secret in ("Northgate", "northgate-wb", "compare notes", "acilitator"):
                assert secret not in page, secret
    assert not Membership.objects.exists()


def test_a_dead_invitation_shows_members_the_community_and_the_inviter_a_new_link(
    client: Client,
) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    owner.community.visibility = Community.Visibility.PRIVATE
    owner.community.save(update_fields=["visibility"])
    invitation = InvitationFactory.create(community=owner.community, revoked_at=timezone.now())
    client.force_login(owner.user)
    page = client.get(f"/invite/{invitation.token}/")
    assert page.status_code == 410
    assert owner.community.name.encode() in page.content
    assert f'href="/c/{owner.community.slug}/members/"'.encode() in page.content
    member = MembershipFactory.create(community=owner.community, role=Role.MEMBER)
    member_client = Client()
    member_client.force_login(member.user)
    seen = member_client.get(f"/invite/{invitation.token}/")
    assert owner.community.name.encode() in seen.content
    assert b"/members/" not in seen.content


# --- segments --------------------------------------------------------------------------


def test_owners_define_questions_and_members_answer_privately(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    community = owner.community
    client.force_login(owner.user)
    response = client.post(
        f"/c/{community.slug}/segments/", {"label": "Region", "choices": "North\nSouth\n\n"}
    )
    assert response.status_code == 302
    question = community.segment_questions.get()
    assert question.choices == ["North", "South"]
    member = MembershipFactory.create(community=community)
    member_client = Client()
    member_client.force_login(member.user)
    saved = member_client.post(f"/c/{community.slug}/my-answers/", {f"q{question.pk}": "South"})
    assert saved.status_code == 302
    assert SegmentAnswer.objects.get(membership=member).choice == "South"
    # The owner sees only suppressed counts, never the member's answer.
    page = client.get(f"/c/{community.slug}/segments/")
    assert b"fewer than 5" in page.content
    assert member.user.username.encode() not in page.content
    # And the member can clear it again ("prefer not to say").
    member_client.post(f"/c/{community.slug}/my-answers/", {f"q{question.pk}": ""})
    assert not SegmentAnswer.objects.exists()


def test_an_answer_outside_the_fixed_choices_is_refused(client: Client) -> None:
    member = MembershipFactory.create()
    question = SegmentQuestionFactory.create(community=member.community)
    client.force_login(member.user)
    response = client.post(f"/c/{member.community.slug}/my-answers/", {f"q{question.pk}": "Mars"})
    assert response.status_code == 400
    assert not SegmentAnswer.objects.exists()


@pytest.mark.parametrize(
    ("choices", "message"),
    [(["Only one"], "between 2"), (["A", "a"], "different"), (["A", ""], "empty")],
)
def test_segment_questions_need_sensible_choices(choices: list[str], message: str) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    with pytest.raises(ValidationError, match=message):
        services.segment_question_create(community=owner.community, label="Region", choices=choices)
    assert not owner.community.segment_questions.exists()


def test_a_community_has_at_most_five_segment_questions() -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    for n in range(5):
        services.segment_question_create(
            community=owner.community, label=f"Q{n}", choices=["a", "b"]
        )
    with pytest.raises(Conflict, match="at most 5"):
        services.segment_question_create(community=owner.community, label="Q6", choices=["a", "b"])


def test_segment_cells_suppress_groups_under_five_people() -> None:
    community = CommunityFactory.create()
    question = SegmentQuestionFactory.create(
        community=community, choices=["North", "South", "East"]
    )
    members = []
    for n in range(9):
        choice = "North" if n < 6 else "South"
        m = MembershipFactory.create(community=community)
        SegmentAnswer.objects.create(membership=m, question=question, choice=choice)
        members.append(m)
    assert selectors.segment_cells(community, question) == {
        "North": 6,
        "South": None,
        "East": None,
    }
    # Banned members no longer count; a subset of people can be counted.
    Membership.objects.filter(pk=members[0].pk).update(status=Membership.Status.BANNED)
    assert selectors.segment_cells(community, question)["North"] == 5
    subset = [m.user_id for m in members[1:5]]
    assert selectors.segment_cells(community, question, user_ids=subset)["North"] is None


def test_no_page_or_endpoint_shows_another_members_answer(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    question = SegmentQuestionFactory.create(community=owner.community, choices=["Xylo", "Zed"])
    member = MembershipFactory.create(community=owner.community)
    SegmentAnswer.objects.create(membership=member, question=question, choice="Xylo")
    client.force_login(owner.user)
    slug = owner.community.slug
    for url in (f"/c/{slug}/members/", f"/api/v1/communities/{slug}/members/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Xylo" not in response.content, url
    assert client.get(f"/api/v1/communities/{slug}/my-answers/").json() == {"answers": []}
    assert b'value="Xylo" selected' not in client.get(f"/c/{slug}/my-answers/").content
    # Managers see only the aggregate, with the cell of one person suppressed.
    assert b"Xylo: fewer than 5" in client.get(f"/c/{slug}/segments/").content
    detail = client.get(f"/c/{slug}/").content.decode()
    assert "<td>Xylo</td><td>fewer than 5</td>" in detail
    own = Client()
    own.force_login(member.user)
    assert own.get(f"/api/v1/communities/{slug}/my-answers/").json() == {
        "answers": [{"question": question.pk, "choice": "Xylo"}]
    }
    assert b'value="Xylo" selected' in own.get(f"/c/{slug}/my-answers/").content


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_never_exceed_the_use_limit() -> None:
    import threading

    from django.db import connection

    invitation = InvitationFactory.create(max_uses=3)
    users = [UserFactory.create() for _ in range(8)]
    outcomes: list[str] = []
    start = threading.Barrier(len(users))

    def accept(user: Any) -> None:
        start.wait()
        try:
            services.invitation_accept(user=user, token=invitation.token)
            outcomes.append("joined")
        except services.InvitationUnusable as error:
            outcomes.append(error.reason)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=accept, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    invitation.refresh_from_db()
    assert invitation.uses == 3
    assert sorted(outcomes) == ["joined"] * 3 + ["used_up"] * 5
    assert Membership.objects.filter(community=invitation.community).count() == 3


def test_a_refused_htmx_member_action_returns_the_list_with_the_reason(client: Client) -> None:
    owner = MembershipFactory.create(role=Role.OWNER)
    facilitator = MembershipFactory.create(community=owner.community, role=Role.FACILITATOR)
    client.force_login(facilitator.user)
    before = db_state()
    response = client.post(
        f"/c/{owner.community.slug}/members/{owner.pk}/ban/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert b'id="member-list"' in response.content
    assert b"As Facilitator you cannot change, remove or ban a member whose role is Owner." in (
        response.content
    )
    assert db_state() == before


def test_granting_a_role_above_ones_own_on_the_page_is_a_403_with_the_reason(
    client: Client,
) -> None:
    facilitator = MembershipFactory.create(role=Role.FACILITATOR)
    member = MembershipFactory.create(community=facilitator.community)
    client.force_login(facilitator.user)
    before = db_state()
    response = client.post(
        f"/c/{facilitator.community.slug}/members/{member.pk}/role/", {"role": "owner"}
    )
    assert response.status_code == 403
    assert b"above your own" in response.content
    assert b"Nothing was changed" in response.content
    assert db_state() == before


def test_the_admin_lists_communities_but_never_segment_answers(admin_client: Client) -> None:
    MembershipFactory.create(community__name="Admin Town")
    assert b"Admin Town" in admin_client.get("/admin/communities/community/").content
    assert admin_client.get("/admin/communities/segmentanswer/").status_code == 404
