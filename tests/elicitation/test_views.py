from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from communities.models import Community
from communities.roles import Role
from elicitation.identity import xid_signature
from elicitation.models import (
    Argument,
    Comparison,
    Flag,
    ModerationAction,
    ModerationStatus,
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
    SpaceFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def url(name: str, space: Space, **kwargs: Any) -> str:
    return reverse(f"elicitation:{name}", kwargs={"space_id": space.pk, **kwargs})


def test_the_space_page_shows_question_progress_and_the_first_card(
    client: Client, space: Space
) -> None:
    StatementFactory.create(space=space, number=1, text="Parks for every street corner")
    response = client.get(space.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert space.question in body
    assert "Parks for every street corner" in body
    assert "voted on 0 of 1" in body
    assert not Participant.objects.exists()  # reading creates nobody


def test_an_htmx_vote_returns_the_next_card_and_sets_the_anonymous_cookie(
    client: Client, space: Space
) -> None:
    StatementFactory.create(space=space, number=1, text="First statement to vote on")
    StatementFactory.create(space=space, number=2, text="Second statement to vote on")
    response = client.post(url("vote", space), {"statement": 1, "value": 1}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="vote-card"')
    assert "<html" not in body
    assert "Second statement to vote on" in body
    assert "voted on 1 of 2" in body
    assert f"polyphony_p{space.pk}" in response.cookies
    assert response["Vary"].count("HX-Request") >= 1
    participant = Participant.objects.get()
    assert participant.anon_token
    assert participant.user is None
    assert Vote.objects.get().value == 1
    # Same browser, next card: the cookie binds the same participant.
    client.post(url("vote", space), {"statement": 2, "value": -1}, headers=HX)
    assert Participant.objects.count() == 1
    assert Vote.objects.filter(participant=participant).count() == 2


def test_a_plain_vote_post_redirects_back_with_a_message(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    response = client.post(url("vote", space), {"statement": 1, "value": 0}, follow=True)
    assert response.redirect_chain[-1][0] == space.get_absolute_url()
    assert "Recorded: pass on statement #1" in response.content.decode()
    assert Vote.objects.get().value == 0


def test_a_vote_in_a_closed_space_is_refused_with_409_and_nothing_stored(
    client: Client, space: Space
) -> None:
    StatementFactory.create(space=space, number=1)
    space.phase = Space.Phase.CLOSED
    space.save()
    response = client.post(url("vote", space), {"statement": 1, "value": 1}, headers=HX)
    assert response.status_code == 409
    assert "closed" in response.content.decode()
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"statement": 7, "value": 1}, "no statement #7"), ({"statement": 1, "value": 5}, "agree")],
)
def test_bad_votes_get_a_400_card_with_the_reason(
    client: Client, space: Space, data: dict, message: str
) -> None:
    StatementFactory.create(space=space, number=1)
    response = client.post(url("vote", space), data, headers=HX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Vote.objects.exists()


def test_changing_a_vote_on_the_statement_page_keeps_history(
    client: Client, space: Space, member: User
) -> None:
    StatementFactory.create(space=space, number=1)
    client.force_login(member)
    statement_url = url("statement", space, number=1)
    client.post(url("vote", space), {"statement": 1, "value": 1, "next": statement_url})
    response = client.post(url("vote", space), {"statement": 1, "value": -1, "next": statement_url})
    assert response["Location"] == statement_url
    page = client.get(statement_url).content.decode()
    assert "Your vote: <strong>disagree</strong>" in page
    assert list(VoteEvent.objects.order_by("id").values_list("value", flat=True)) == [1, -1]
    assert Participant.objects.get().user == member


def test_casting_a_vote_costs_a_constant_number_of_queries(
    client: Client, space: Space, member: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(member)
    for n in range(1, 4):
        StatementFactory.create(space=space, number=n)
    client.post(url("vote", space), {"statement": 1, "value": 1}, headers=HX)
    # Session, user, access (3), participant, statement, vote upsert (4 with the
    # savepoint), history, next card (candidates, statement, cached counts or 1
    # GROUP BY), progress (2), analysis: the same whatever the space size.
    with django_assert_max_num_queries(18):
        client.post(url("vote", space), {"statement": 2, "value": 1}, headers=HX)
    for n in range(4, 200):
        StatementFactory.create(space=space, number=n)
    with django_assert_max_num_queries(18):
        response = client.post(url("vote", space), {"statement": 3, "value": -1}, headers=HX)
    assert response.status_code == 200


def test_members_only_spaces_refuse_outsiders_and_anonymous_voters(client: Client) -> None:
    space = SpaceFactory.create(participation=Space.Participation.MEMBERS)
    StatementFactory.create(space=space, number=1)
    assert client.post(url("vote", space), {"statement": 1, "value": 1}).status_code == 403
    outsider = UserFactory.create()
    client.force_login(outsider)
    assert client.post(url("vote", space), {"statement": 1, "value": 1}).status_code == 403
    assert not Vote.objects.exists()


def test_a_private_communitys_members_space_is_hidden_from_outsiders(client: Client) -> None:
    community = CommunityFactory.create(visibility=Community.Visibility.PRIVATE)
    space = SpaceFactory.create(community=community)
    assert client.get(space.get_absolute_url()).status_code == 404


def test_proposing_with_htmx_confirms_and_a_duplicate_points_to_the_original(
    client: Client, space: Space
) -> None:
    response = client.post(
        url("propose", space), {"text": "Children should walk to school safely"}, headers=HX
    )
    assert response.status_code == 201
    assert "is now open for votes" in response.content.decode()
    duplicate = client.post(
        url("propose", space), {"text": "children should walk to school safely!"}, headers=HX
    )
    body = duplicate.content.decode()
    assert duplicate.status_code == 409
    assert url("statement", space, number=1) in body
    assert Statement.objects.count() == 1


def test_proposing_without_js_keeps_the_text_and_shows_the_error(
    client: Client, space: Space
) -> None:
    response = client.post(url("propose", space), {"text": "short"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "at least 10 characters" in body
    assert ">short</textarea>" in body


def test_statement_text_is_always_escaped(client: Client, space: Space) -> None:
    client.post(url("propose", space), {"text": "<script>alert('x')</script> bold claim"})
    statement = Statement.objects.get()
    # Its author is not asked to vote on it: the vote card shows it to others.
    Vote.objects.all().delete()
    Statement.objects.filter(pk=statement.pk).update(author=None)
    for page in (
        space.get_absolute_url(),
        url("statements", space),
        url("statement", space, number=statement.number),
    ):
        body = client.get(page).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body


def test_the_live_counts_partial_is_small_and_polls(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    page = client.get(space.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 5s"' in page
    response = client.get(url("live_counts", space))
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="live-counts"')
    assert 'data-count="statements">1<' in body


def test_statement_list_counts_votes_without_n_plus_one(
    client: Client, space: Space, django_assert_max_num_queries: Any
) -> None:
    for n in range(1, 30):
        StatementFactory.create(space=space, number=n)
    with django_assert_max_num_queries(8):
        response = client.get(url("statements", space))
    assert response.status_code == 200
    assert "Page 1 of" not in response.content.decode()
    for n in range(30, 130):
        StatementFactory.create(space=space, number=n)
    second = client.get(url("statements", space), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert ">Statement number" in second


def test_pairwise_with_htmx_records_and_serves_a_different_pair(
    client: Client, space: Space
) -> None:
    for n in (1, 2, 3):
        StatementFactory.create(space=space, number=n)
    response = client.post(
        url("pairwise", space),
        {"statement_a": 1, "statement_b": 2, "choice": "b", "reason": ""},
        headers=HX,
    )
    assert response.status_code == 201
    comparison = Comparison.objects.get()
    assert comparison.choice == "b"
    body = response.content.decode()
    assert 'name="statement_a" value="1"' not in body or 'name="statement_b" value="2"' not in body


def test_pairwise_refuses_the_same_statement_twice(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    response = client.post(
        url("pairwise", space), {"statement_a": 1, "statement_b": 1, "choice": "a"}, headers=HX
    )
    assert response.status_code == 400
    assert "two different" in response.content.decode()
    assert not Comparison.objects.exists()


def test_ranking_form_saves_a_ballot_and_a_revision_replaces_it(
    client: Client, space: Space
) -> None:
    for n in (1, 2, 3):
        StatementFactory.create(space=space, number=n)
    page = client.get(url("ranking", space)).content.decode()
    assert '<label for="position-1">Place 1 (most important)</label>' in page
    client.post(url("ranking", space), {"position_1": "3", "position_2": "", "position_3": "1"})
    response = client.post(
        url("ranking", space), {"position_1": "2", "position_2": "3"}, headers=HX
    )
    assert response.status_code == 200
    assert "Your ranking is saved" in response.content.decode()
    assert list(RankingEntry.objects.values_list("statement__number", flat=True)) == [2, 3]


def test_a_ballot_with_duplicates_is_refused(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    response = client.post(
        url("ranking", space), {"position_1": "1", "position_2": "1"}, headers=HX
    )
    assert response.status_code == 400
    assert "repeated: #1" in response.content.decode()
    assert not RankingEntry.objects.exists()


def test_arguments_show_side_by_side_and_replies_thread(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    statement_url = url("statement", space, number=1)
    client.post(
        url("argument_create", space, number=1), {"stance": "for", "text": "It protects health."}
    )
    client.post(
        url("argument_create", space, number=1), {"stance": "against", "text": "It costs a lot."}
    )
    root = Argument.objects.get(stance="for")
    client.post(
        url("argument_create", space, number=1),
        {"stance": "against", "text": "Health is cheap.", "parent": root.pk},
    )
    body = client.get(statement_url).content.decode()
    assert (
        body.index("It protects health.")
        < body.index("Health is cheap.")
        < body.index("It costs a lot.")
    )
    assert Argument.objects.get(text="Health is cheap.").parent == root


def test_a_bad_argument_gets_a_400_partial(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    response = client.post(
        url("argument_create", space, number=1), {"stance": "maybe", "text": "Hmm hmm"}, headers=HX
    )
    assert response.status_code == 400
    assert "Choose for or against" in response.content.decode()
    assert not Argument.objects.exists()


def test_facilitator_approves_a_pending_statement_and_the_log_shows_it(
    client: Client, space: Space, facilitator: User
) -> None:
    space.moderation = Space.Moderation.PRE
    space.save()
    client.post(url("propose", space), {"text": "Night noise rules should be stricter"})
    statement = Statement.objects.get()
    assert statement.status == ModerationStatus.PENDING
    client.force_login(facilitator)
    queue = client.get(url("moderation", space)).content.decode()
    assert "Night noise rules should be stricter" in queue
    client.post(url("moderate_statement", space, number=statement.number), {"decision": "approve"})
    statement.refresh_from_db()
    assert statement.status == ModerationStatus.ACCEPTED
    log = Client().get(url("decisions", space)).content.decode()
    assert "Approved" in log
    assert "Facilitator" in log
    assert "fran" not in log


def test_members_cannot_moderate(client: Client, space: Space, member: User) -> None:
    StatementFactory.create(space=space, number=1, status=ModerationStatus.PENDING)
    client.force_login(member)
    assert client.get(url("moderation", space)).status_code == 403
    response = client.post(url("moderate_statement", space, number=1), {"decision": "approve"})
    assert response.status_code == 403
    assert Statement.objects.get().status == ModerationStatus.PENDING


def test_flags_reach_the_queue_and_can_be_dismissed(
    client: Client, space: Space, facilitator: User
) -> None:
    StatementFactory.create(space=space, number=1)
    client.post(url("flag", space), {"statement": 1, "reason": "This is advertising"})
    flag = Flag.objects.get()
    staff = Client()
    staff.force_login(facilitator)
    assert "This is advertising" in staff.get(url("moderation", space)).content.decode()
    staff.post(url("dismiss_flag", space, flag_id=flag.pk), {"reason": "It is on topic"})
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert ModerationAction.objects.get().action == "dismiss_flag"


def test_facilitator_creates_edits_and_opens_a_space(client: Client, facilitator: User) -> None:
    community = CommunityFactory.create()
    MembershipFactory.create(user=facilitator, community=community, role=Role.FACILITATOR)
    client.force_login(facilitator)
    form = {
        "title": "Harbour futures",
        "slug": "harbour",
        "question": "What should the harbour be for?",
        "description": "",
        "statements_enabled": "on",
        "pairwise_enabled": "on",
        "moderation": "pre",
        "participation": "link",
        "ranking_size": "4",
    }
    response = client.post(
        reverse("elicitation:space_create", kwargs={"slug": community.slug}), form
    )
    space = Space.objects.get()
    assert response["Location"] == space.get_absolute_url()
    assert (space.phase, space.ranking_size, space.ranking_enabled) == ("draft", 4, False)
    # A second space with the same slug is refused on the form.
    again = client.post(reverse("elicitation:space_create", kwargs={"slug": community.slug}), form)
    assert again.status_code == 400
    assert "already exists" in again.content.decode()
    client.post(
        url("space_edit", space),
        {
            **form,
            "title": "Harbour 2030",
            "closes_at": "2020-01-01T10:00",
            "opens_at": "2021-01-01T10:00",
        },
    )
    space.refresh_from_db()
    assert space.title == "Harbour futures"  # closing before opening was refused
    client.post(url("space_edit", space), {**form, "title": "Harbour 2030"})
    client.post(url("space_phase", space), {"phase": "open"})
    space.refresh_from_db()
    assert (space.title, space.phase) == ("Harbour 2030", "open")
    listing = Client().get(reverse("elicitation:community_spaces", kwargs={"slug": community.slug}))
    assert "Harbour 2030" in listing.content.decode()


def test_members_cannot_create_spaces_and_drafts_stay_hidden(
    client: Client, space: Space, member: User
) -> None:
    client.force_login(member)
    create_url = reverse("elicitation:space_create", kwargs={"slug": space.community.slug})
    assert client.get(create_url).status_code == 403
    draft = SpaceFactory.create(
        community=space.community, phase=Space.Phase.DRAFT, title="Secret draft"
    )
    listing = client.get(
        reverse("elicitation:community_spaces", kwargs={"slug": space.community.slug})
    )
    assert "Secret draft" not in listing.content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_link_url_leads_to_the_space_and_keeps_an_xid(client: Client, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    signature = xid_signature(space, "ext-42")
    response = client.get(
        reverse("elicitation:join", kwargs={"token": space.link_token})
        + f"?xid=ext-42&xid_sig={signature}"
    )
    assert response["Location"] == space.get_absolute_url() + f"?xid=ext-42&xid_sig={signature}"
    client.get(response["Location"])
    client.post(url("vote", space), {"statement": 1, "value": 1})
    assert Participant.objects.get().xid == "ext-42"


def test_where_you_stand_says_no_analysis_yet(client: Client, space: Space) -> None:
    for n in range(1, 8):
        StatementFactory.create(space=space, number=n)
        client.post(url("vote", space), {"statement": n, "value": 1})
    body = client.get(url("stand", space)).content.decode()
    assert "No analysis yet" in body


def test_plain_form_errors_answer_4xx_with_the_page_and_the_reason(
    client: Client, space: Space
) -> None:
    StatementFactory.create(space=space, number=1)
    vote = client.post(url("vote", space), {"statement": 9, "value": 1})
    assert vote.status_code == 400
    assert "no statement #9" in vote.content.decode()
    pair = client.post(url("pairwise", space), {"statement_a": 1, "statement_b": 1, "choice": "a"})
    assert pair.status_code == 400
    assert "two different" in pair.content.decode()
    ballot = client.post(url("ranking", space), {"position_1": "1", "position_2": "1"})
    assert ballot.status_code == 400
    assert "repeated: #1" in ballot.content.decode()
    argument = client.post(url("argument_create", space, number=1), {"stance": "for", "text": "no"})
    assert argument.status_code == 400
    assert "at least 5 characters" in argument.content.decode()
    space.phase = Space.Phase.CLOSED
    space.save()
    closed = client.post(
        url("vote", space), {"statement": 1, "value": 1, "next": url("statement", space, number=1)}
    )
    assert closed.status_code == 409
    assert "closed" in closed.content.decode()
    assert not Vote.objects.exists()
    assert not Comparison.objects.exists()
    assert not RankingEntry.objects.exists()
    assert not Argument.objects.exists()


def test_observers_see_the_space_but_get_no_vote_buttons(client: Client, space: Space) -> None:
    members_space = SpaceFactory.create(
        community=space.community, participation=Space.Participation.MEMBERS
    )
    StatementFactory.create(space=members_space, number=1)
    observer = UserFactory.create(username="olga")
    MembershipFactory.create(user=observer, community=space.community, role=Role.OBSERVER)
    client.force_login(observer)
    page = client.get(members_space.get_absolute_url()).content.decode()
    assert "does not include taking part" in page
    assert 'name="value"' not in page
    response = client.post(url("vote", members_space), {"statement": 1, "value": 1})
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_where_you_stand_shows_the_group_and_own_statements(client: Client, space: Space) -> None:
    from aggregation.models import AnalysisRun

    for n in range(1, 8):
        StatementFactory.create(space=space, number=n, text=f"Value statement number {n} here")
        client.post(url("vote", space), {"statement": n, "value": 1})
    # Factories bypass the counter the services keep.
    Space.objects.filter(pk=space.pk).update(statement_counter=7)
    client.post(url("propose", space), {"text": "My own idea about the riverfront"})
    me = Participant.objects.get()
    AnalysisRun.objects.create(
        space=space,
        status=AnalysisRun.Status.SUCCEEDED,
        result={
            "participants": {str(me.number): 0},
            "groups": [
                {"id": 0, "size": 5, "representative": [{"statement": 3, "direction": "agree"}]},
                {"id": 1, "size": 2, "representative": [{"statement": 4, "direction": "disagree"}]},
            ],
            "consensus": {"agree": [1], "disagree": []},
        },
    )
    body = client.get(url("stand", space)).content.decode()
    assert "You are closest to Group A (5 people)" in body
    assert "Value statement number 3 here" in body
    assert "Group B" in body
    assert "Most people agree" in body
    assert "My own idea about the riverfront" in body


def test_the_space_page_works_when_the_cache_is_down(client: Client, space: Space) -> None:
    from unittest import mock

    StatementFactory.create(space=space, number=1, text="Still here without a cache")
    with mock.patch("elicitation.selectors.counts.cache.get", side_effect=ConnectionError("down")):
        response = client.get(space.get_absolute_url())
        live = client.get(url("live_counts", space))
    assert response.status_code == 200
    assert "Still here without a cache" in response.content.decode()
    assert 'data-count="statements">1<' in live.content.decode()
