from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from communities.roles import Role
from elicitation.identity import xid_signature
from elicitation.models import (
    Argument,
    Comparison,
    Flag,
    ModerationStatus,
    Participant,
    RankingEntry,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from tests.factories import CommunityFactory, MembershipFactory, SpaceFactory, StatementFactory

pytestmark = pytest.mark.django_db


def base(space: Space) -> str:
    return f"/api/v1/spaces/{space.pk}"


def test_an_anonymous_client_joins_a_link_space_and_votes_with_its_token(
    api: APIClient, space: Space
) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    joined = api.post(f"{base(space)}/participants/", {}, format="json")
    assert joined.status_code == 201
    token = joined.data["token"]
    client = APIClient()  # no cookies: the header alone identifies the participant
    first = client.post(
        f"{base(space)}/votes/",
        {"statement": 1, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert first.status_code == 201
    assert first.json()["participant"] == joined.data["number"]
    assert first.json()["changed"]
    nxt = client.get(f"{base(space)}/statements/next/", HTTP_X_PARTICIPANT_TOKEN=token)
    assert nxt.data["statement"]["number"] == 2
    assert (nxt.data["voted"], nxt.data["total"]) == (1, 2)
    change = client.post(
        f"{base(space)}/votes/",
        {"statement": 1, "value": -1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    replay = client.post(
        f"{base(space)}/votes/",
        {"statement": 1, "value": -1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert (change.status_code, replay.status_code) == (200, 200)
    assert not replay.json()["changed"]
    assert Participant.objects.count() == 1
    assert list(VoteEvent.objects.order_by("id").values_list("value", flat=True)) == [1, -1]


def test_a_first_write_without_token_returns_one(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    response = api.post(f"{base(space)}/votes/", {"statement": 1, "value": 0}, format="json")
    assert response.status_code == 201
    assert response["X-Participant-Token"]
    again = APIClient().post(
        f"{base(space)}/votes/",
        {"statement": 1, "value": 1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=response["X-Participant-Token"],
    )
    assert again.status_code == 200
    assert Participant.objects.count() == 1


def test_a_forged_token_gets_a_new_identity_not_someone_elses(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    api.post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json")
    victim = Participant.objects.get()
    forged = APIClient().post(
        f"{base(space)}/votes/",
        {"statement": 1, "value": -1},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=f"{space.pk}.{victim.anon_token}:forged",
    )
    assert forged.status_code == 201
    assert Vote.objects.get(participant=victim).value == 1


def test_an_xid_in_the_body_maps_the_embedding_sites_user(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2)
    signed = {"xid": "u-9", "xid_sig": xid_signature(space, "u-9")}
    APIClient().post(f"{base(space)}/votes/", {"statement": 1, "value": 1, **signed}, format="json")
    APIClient().post(f"{base(space)}/votes/", {"statement": 2, "value": 1, **signed}, format="json")
    participant = Participant.objects.get()
    assert participant.xid == "u-9"
    assert participant.votes.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"statement": 1, "value": 3}, "value"),
        ({"statement": "one", "value": 1}, "statement"),
        ({"value": 1}, "statement"),
        ({"statement": 99, "value": 1}, "statement"),
        ({"statement": 2, "value": 1}, "statement"),  # pending
        ({"statement": 3, "value": 1}, "statement"),  # rejected
    ],
)
def test_bad_votes_get_400_naming_the_field(
    api: APIClient, space: Space, body: dict, field: str
) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, number=3, status=ModerationStatus.REJECTED)
    response = api.post(f"{base(space)}/votes/", body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Vote.objects.exists()


def test_votes_in_a_closed_space_get_409(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    space.phase = Space.Phase.CLOSED
    space.save()
    response = api.post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json")
    assert response.status_code == 409
    assert "closed" in response.data["detail"]
    assert not Vote.objects.exists()


def test_a_vote_costs_a_constant_number_of_queries_over_the_api(
    api: APIClient, space: Space, member: User, django_assert_max_num_queries: Any
) -> None:
    api.force_authenticate(member)
    for n in range(1, 4):
        StatementFactory.create(space=space, number=n)
    api.post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json")
    with django_assert_max_num_queries(10):
        api.post(f"{base(space)}/votes/", {"statement": 2, "value": 1}, format="json")
    for n in range(4, 300):
        StatementFactory.create(space=space, number=n)
    with django_assert_max_num_queries(10):
        response = api.post(f"{base(space)}/votes/", {"statement": 3, "value": -1}, format="json")
    assert response.status_code == 201


def test_members_only_spaces_refuse_anonymous_and_outsider_api_clients(
    api: APIClient, member: User
) -> None:
    space = SpaceFactory.create(participation=Space.Participation.MEMBERS)
    StatementFactory.create(space=space, number=1)
    assert (
        api.post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json").status_code
        == 403
    )
    insider = APIClient()
    MembershipFactory.create(user=member, community=space.community, role=Role.MEMBER)
    insider.force_authenticate(member)
    assert (
        insider.post(
            f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json"
        ).status_code
        == 201
    )


def test_statements_list_with_counts_without_n_plus_one(
    api: APIClient, space: Space, django_assert_max_num_queries: Any
) -> None:
    for n in range(1, 40):
        StatementFactory.create(space=space, number=n)
    api.post(f"{base(space)}/votes/", {"statement": 5, "value": 1}, format="json")
    with django_assert_max_num_queries(5):
        response = api.get(f"{base(space)}/statements/")
    row = next(r for r in response.data["results"] if r["number"] == 5)
    assert (row["agree"], row["disagree"], row["passes"]) == (1, 0, 0)
    assert response.data["count"] == 39


def test_proposing_over_the_api_refuses_duplicates_with_a_pointer(
    api: APIClient, space: Space
) -> None:
    created = api.post(
        f"{base(space)}/statements/", {"text": "  Farmland must stay farmland  "}, format="json"
    )
    assert created.status_code == 201
    assert created.data["text"] == "Farmland must stay farmland"
    dup = api.post(
        f"{base(space)}/statements/", {"text": "farmland MUST stay farmland."}, format="json"
    )
    assert dup.status_code == 409
    assert dup.data["duplicate_of"]["number"] == created.data["number"]
    too_long = api.post(f"{base(space)}/statements/", {"text": "y" * 300}, format="json")
    empty = api.post(f"{base(space)}/statements/", {"text": "   "}, format="json")
    assert too_long.status_code == 400
    assert "at most 280" in too_long.data["text"][0]
    assert empty.status_code == 400
    assert "text" in empty.data
    assert Statement.objects.count() == 1


def test_facilitators_create_update_open_and_moderate_over_the_api(
    api: APIClient, facilitator: User
) -> None:
    community = CommunityFactory.create()
    MembershipFactory.create(user=facilitator, community=community, role=Role.FACILITATOR)
    api.force_authenticate(facilitator)
    created = api.post(
        f"/api/v1/communities/{community.slug}/spaces/",
        {"title": "T", "slug": "t", "question": "Q?", "moderation": "pre", "participation": "link"},
        format="json",
    )
    assert created.status_code == 201
    assert created.data["phase"] == "draft"
    space = Space.objects.get()
    bad = api.patch(f"{base(space)}/", {"ranking_size": 50}, format="json")
    assert bad.status_code == 400
    assert "ranking_size" in bad.data
    assert (
        api.patch(f"{base(space)}/", {"ranking_size": 3}, format="json").data["ranking_size"] == 3
    )
    assert (
        api.post(f"{base(space)}/phase/", {"phase": "open"}, format="json").data["phase"] == "open"
    )
    anon = APIClient()
    anon.post(f"{base(space)}/statements/", {"text": "Publish every contract"}, format="json")
    statement = Statement.objects.get()
    assert statement.status == "pending"
    reject = api.post(
        f"{base(space)}/statements/{statement.number}/moderate/",
        {"decision": "reject"},
        format="json",
    )
    assert reject.status_code == 400
    assert "reason" in reject.data
    ok = api.post(
        f"{base(space)}/statements/{statement.number}/moderate/",
        {"decision": "approve"},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.data["status"] == "accepted"
    log = anon.get(f"{base(space)}/decisions/").data["results"]
    # Changing ranking_size is a settings decision in the public log too.
    assert [entry["action"] for entry in log] == ["approve", "phase", "settings"]
    assert log[2]["detail"] == {"changes": {"ranking_size": {"from": 5, "to": 3}}}
    listed = anon.get(f"/api/v1/communities/{community.slug}/spaces/").data["results"]
    assert [s["slug"] for s in listed] == ["t"]


def test_non_facilitators_cannot_change_spaces(api: APIClient, space: Space, member: User) -> None:
    assert api.post(f"{base(space)}/phase/", {"phase": "closed"}, format="json").status_code in (
        401,
        403,
    )
    api.force_authenticate(member)
    assert api.post(f"{base(space)}/phase/", {"phase": "closed"}, format="json").status_code == 403
    assert api.patch(f"{base(space)}/", {"title": "Mine"}, format="json").status_code == 403
    space.refresh_from_db()
    assert space.phase == "open"
    assert space.title != "Mine"


def test_pairs_and_comparisons_over_the_api(api: APIClient, space: Space) -> None:
    for n in (1, 2, 3):
        StatementFactory.create(space=space, number=n)
    pair = api.get(f"{base(space)}/pairs/next/").data
    a, b = pair["statement_a"]["number"], pair["statement_b"]["number"]
    response = api.post(
        f"{base(space)}/comparisons/",
        {"statement_a": a, "statement_b": b, "choice": "neither", "reason": "Both matter"},
        format="json",
    )
    assert response.status_code == 201
    token = response["X-Participant-Token"]
    same = api.post(
        f"{base(space)}/comparisons/",
        {"statement_a": 2, "statement_b": 2, "choice": "a"},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert same.status_code == 400
    assert "statement_b" in same.data
    nxt = api.get(f"{base(space)}/pairs/next/", HTTP_X_PARTICIPANT_TOKEN=token).data
    assert {nxt["statement_a"]["number"], nxt["statement_b"]["number"]} != {a, b}
    assert Comparison.objects.get().reason == "Both matter"


def test_ranking_over_the_api_is_replaced_atomically(api: APIClient, space: Space) -> None:
    for n in range(1, 8):
        StatementFactory.create(space=space, number=n)
    first = api.put(f"{base(space)}/ranking/", {"statements": [4, 2, 7]}, format="json")
    token = first["X-Participant-Token"]
    assert first.data["statements"] == [4, 2, 7]
    for bad in ([1, 1], [1, 404], [1, 2, 3, 4, 5, 6], []):
        r = api.put(
            f"{base(space)}/ranking/",
            {"statements": bad},
            format="json",
            HTTP_X_PARTICIPANT_TOKEN=token,
        )
        assert r.status_code == 400, bad
    assert api.get(f"{base(space)}/ranking/", HTTP_X_PARTICIPANT_TOKEN=token).data[
        "statements"
    ] == [4, 2, 7]
    assert RankingEntry.objects.count() == 3


def test_arguments_and_flags_over_the_api(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    root = api.post(
        f"{base(space)}/statements/1/arguments/",
        {"stance": "for", "text": "Clean water saves lives."},
        format="json",
    )
    assert root.status_code == 201
    token = root["X-Participant-Token"]
    reply = api.post(
        f"{base(space)}/statements/1/arguments/",
        {"stance": "against", "text": "At a price.", "parent": root.data["id"]},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    assert reply.status_code == 201
    assert reply.data["parent"] == root.data["id"]
    bad_parent = api.post(
        f"{base(space)}/statements/1/arguments/",
        {"stance": "for", "text": "Orphan reply", "parent": 999},
        format="json",
    )
    assert bad_parent.status_code == 400
    listed = api.get(f"{base(space)}/statements/1/arguments/").data["results"]
    assert [a["text"] for a in listed] == ["Clean water saves lives.", "At a price."]
    flag = api.post(
        f"{base(space)}/flags/",
        {"argument": reply.data["id"], "reason": "Off topic"},
        format="json",
    )
    both = api.post(
        f"{base(space)}/flags/", {"argument": 1, "statement": 1, "reason": "x"}, format="json"
    )
    assert flag.status_code == 201
    assert both.status_code == 400
    assert Flag.objects.count() == 1
    assert Argument.objects.count() == 2


def test_switched_off_activities_answer_403(api: APIClient, space: Space) -> None:
    space.debate_enabled = False
    space.pairwise_enabled = False
    space.save()
    StatementFactory.create(space=space, number=1)
    assert api.get(f"{base(space)}/pairs/next/").status_code == 403
    r = api.post(
        f"{base(space)}/statements/1/arguments/",
        {"stance": "for", "text": "Some argument"},
        format="json",
    )
    assert r.status_code == 403
    assert not Argument.objects.exists()


def test_the_openapi_document_describes_the_vote_endpoint_and_its_errors(api: APIClient) -> None:
    schema = api.get("/api/schema/", {"format": "json"}).json()
    votes = schema["paths"]["/api/v1/spaces/{space_id}/votes/"]["post"]
    assert {"200", "201", "400", "403", "404", "409", "429"} <= set(votes["responses"])
    assert any(p["name"] == "X-Participant-Token" for p in votes["parameters"])


def test_vote_throttling_answers_429_per_participant(
    api: APIClient, space: Space, two_votes_a_minute: None
) -> None:
    StatementFactory.create(space=space, number=1)
    first = api.post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json")
    token = first["X-Participant-Token"]
    statuses = [
        api.post(
            f"{base(space)}/votes/",
            {"statement": 1, "value": 1},
            format="json",
            HTTP_X_PARTICIPANT_TOKEN=token,
        ).status_code
        for _ in range(3)
    ]
    other = APIClient().post(f"{base(space)}/votes/", {"statement": 1, "value": 1}, format="json")
    # The first, token-less request counted against the address, not the token.
    assert statuses == [200, 200, 429]
    assert other.status_code == 201  # another participant has its own budget


def test_moderators_work_the_queue_over_the_api(
    api: APIClient, space: Space, facilitator: User, member: User
) -> None:
    space.moderation = Space.Moderation.PRE
    space.save()
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    anon = APIClient()
    argued = anon.post(
        f"{base(space)}/statements/1/arguments/",
        {"stance": "against", "text": "Buy our product!"},
        format="json",
    )
    assert argued.data["status"] == "pending"
    token = argued["X-Participant-Token"]
    anon.post(
        f"{base(space)}/flags/",
        {"statement": 1, "reason": "Duplicate of another"},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )
    # Participants and members see neither the queue nor the reports.
    assert anon.get(f"{base(space)}/statements/", {"status": "pending"}).status_code == 401
    api.force_authenticate(member)
    assert api.get(f"{base(space)}/flags/").status_code == 403
    api.force_authenticate(facilitator)
    pending = api.get(f"{base(space)}/statements/", {"status": "pending"}).data["results"]
    assert [s["number"] for s in pending] == [2]
    assert api.get(f"{base(space)}/statements/", {"status": "bogus"}).status_code == 400
    rejected = api.post(
        f"{base(space)}/arguments/{argued.data['id']}/moderate/",
        {"decision": "reject", "reason": "Advertising"},
        format="json",
    )
    assert rejected.status_code == 200
    assert Argument.objects.get().status == "rejected"
    flags = api.get(f"{base(space)}/flags/").data["results"]
    assert [(f["statement"], f["reason"]) for f in flags] == [(1, "Duplicate of another")]
    dismissed = api.post(
        f"{base(space)}/flags/{flags[0]['id']}/dismiss/",
        {"reason": "Not a duplicate"},
        format="json",
    )
    assert dismissed.status_code == 200
    again = api.post(f"{base(space)}/flags/{flags[0]['id']}/dismiss/", {}, format="json")
    assert again.status_code == 400
    actions = [d["action"] for d in anon.get(f"{base(space)}/decisions/").data["results"]]
    assert actions == ["dismiss_flag", "reject"]


def test_joining_twice_with_the_same_xid_finds_the_same_participant(
    api: APIClient, space: Space
) -> None:
    signed = {"xid": "site-1", "xid_sig": xid_signature(space, "site-1")}
    first = api.post(f"{base(space)}/participants/", signed, format="json")
    second = APIClient().post(f"{base(space)}/participants/", signed, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.data["number"] == second.data["number"]


def test_facilitators_add_seed_statements_over_the_api_and_others_cannot(
    api: APIClient, space: Space, facilitator: User, member: User
) -> None:
    body = {"text": "Meetings should end on time", "seed": True, "is_meta": True}
    api.force_authenticate(member)
    assert api.post(f"{base(space)}/statements/", body, format="json").status_code == 403
    api.force_authenticate(facilitator)
    created = api.post(f"{base(space)}/statements/", body, format="json")
    assert created.status_code == 201
    assert (created.data["is_seed"], created.data["is_meta"], created.data["status"]) == (
        True,
        True,
        "accepted",
    )
    statement = Statement.objects.get()
    assert statement.author is None
    assert statement.is_seed


# --- the vote API's fast path for token holders ---------------------------------------


def _joined_token(api: APIClient, space: Space) -> str:
    joined = api.post(f"{base(space)}/participants/", {}, format="json")
    assert joined.status_code == 201
    return str(joined.data["token"])


def _vote(space: Space, token: str, statement: Any, value: Any = 1) -> Any:
    return APIClient().post(
        f"{base(space)}/votes/",
        {"statement": statement, "value": value},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )


def test_a_token_holders_vote_costs_one_query_on_postgresql(
    api: APIClient, space: Space, django_assert_max_num_queries: Any
) -> None:
    StatementFactory.create(space=space, number=1)
    token = _joined_token(api, space)
    # On PostgreSQL one statement resolves space, participant and statement and
    # stores the vote; SQLite takes the full path (space, participant,
    # statement, then a short transaction: 8 queries, whatever the space size).
    limit = 1 if connection.vendor == "postgresql" else 8
    with django_assert_max_num_queries(limit):
        first = _vote(space, token, 1, 1)
    with django_assert_max_num_queries(limit):
        replay = _vote(space, token, 1, 1)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert (first.json()["changed"], replay.json()["changed"]) == (True, False)
    assert replay.json()["updated_at"] == first.json()["updated_at"]
    assert VoteEvent.objects.count() == 1


def test_token_holders_get_the_same_refusals_as_everyone(api: APIClient, space: Space) -> None:
    StatementFactory.create(space=space, number=1)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, number=3, status=ModerationStatus.REJECTED)
    token = _joined_token(api, space)
    assert _vote(space, token, 2).status_code == 400
    assert _vote(space, token, 3).status_code == 400
    unknown = _vote(space, token, 99)
    assert unknown.status_code == 400
    assert "no statement #99" in str(unknown.data["statement"])
    assert _vote(space, token, 1, 5).status_code == 400
    assert _vote(space, token, 1, True).status_code == 400
    Space.objects.filter(pk=space.pk).update(statements_enabled=False)
    assert _vote(space, token, 1).status_code == 403
    Space.objects.filter(pk=space.pk).update(statements_enabled=True, phase=Space.Phase.CLOSED)
    closed = _vote(space, token, 1)
    assert closed.status_code == 409
    assert "closed" in closed.data["detail"]
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.OPEN)
    Space.objects.filter(pk=space.pk).update(participation=Space.Participation.MEMBERS)
    assert _vote(space, token, 1).status_code == 403
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.DRAFT)
    assert _vote(space, token, 1).status_code == 404
    assert not Vote.objects.exists()
    assert not VoteEvent.objects.exists()


def test_a_token_holder_outside_the_schedule_gets_409(api: APIClient, space: Space) -> None:
    from datetime import timedelta

    from django.utils import timezone

    StatementFactory.create(space=space, number=1)
    token = _joined_token(api, space)
    now = timezone.now()
    Space.objects.filter(pk=space.pk).update(
        opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1)
    )
    assert _vote(space, token, 1).status_code == 409
    Space.objects.filter(pk=space.pk).update(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1)
    )
    assert _vote(space, token, 1).status_code == 201


def test_a_token_for_another_space_does_not_vote_here(api: APIClient, space: Space) -> None:
    other = SpaceFactory.create(participation=Space.Participation.LINK)
    StatementFactory.create(space=space, number=1)
    token = _joined_token(api, other)
    response = _vote(space, token, 1)
    # Not the other space's participant: a new participant of this space.
    assert response.status_code == 201
    assert response["X-Participant-Token"] != token
    assert Participant.objects.filter(space=space).count() == 1


def test_the_vote_throttle_counts_votes_in_a_fixed_window(
    api: APIClient, space: Space, two_votes_a_minute: None
) -> None:
    StatementFactory.create(space=space, number=1)
    token = _joined_token(api, space)
    statuses = [_vote(space, token, 1, v).status_code for v in (1, -1, 0)]
    throttled = _vote(space, token, 1, 1)
    assert statuses == [201, 200, 429]
    assert 0 < float(throttled["Retry-After"]) <= 60
    assert VoteEvent.objects.count() == 2
