"""No export leaks who took part: usernames, names, e-mails and account ids never appear."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse

from aggregation import exports, profiles
from aggregation.models import ValueProfile
from aggregation.renderers import FORMATS
from communities.roles import Role
from elicitation.models import Participant
from tests.aggregation.conftest import analysed, member_of, published
from tests.aggregation.data import SECRET_PREFIX, add_segment, cast_vote, populate
from tests.factories import SpaceFactory

pytestmark = pytest.mark.django_db

# Account ids far from any other number in a profile, so finding one means a leak.
ACCOUNT_ID_BASE = 7_654_321
EMBED_XID = "zz-embed-site-user-4242"


def _secrets(users: list[Any]) -> list[str]:
    out = [SECRET_PREFIX, "private.example", "Secretname", "Zelda", EMBED_XID]
    for user in users:
        out += [user.username, user.email, str(user.pk), user.last_name]
    return out


def _walk_keys(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _walk_keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _walk_keys(v)}
    return set()


def test_no_export_format_carries_usernames_emails_or_account_ids(client: Client) -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=24, accounts=12, account_id_base=ACCOUNT_ID_BASE)
    add_segment(space, d.users, label="Region", choices={"North": 6, "South": 4, "East": 2})
    # A participant an embedding site knows by its own id (xid).
    embedded = Participant.objects.create(space=space, number=25, xid=EMBED_XID)
    for statement in d.statements:
        cast_vote(embedded, statement, 1)
    facilitator = member_of(space, Role.FACILITATOR)
    published(space, by=facilitator)
    analysed(space)  # and a fresh draft
    draft = ValueProfile.objects.get(status=ValueProfile.Status.DRAFT)
    facilitator_client = Client()
    facilitator_client.force_login(facilitator)
    urls = [
        reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk}),
        reverse("aggregation-api:profile-version", kwargs={"space_id": space.pk, "version": 1}),
    ]
    draft_url = reverse("aggregation-api:profile-draft", kwargs={"profile_id": draft.pk})
    secrets = _secrets(d.users)
    checked = 0

    json_schemas = {
        "json": profiles.json_schema(),
        "constitution": exports.schema("value-constitution-1.json"),
        "preferences": exports.schema("preference-record-1.json"),
        "eval": exports.schema("pluralistic-eval-record-1.json"),
    }
    for fmt in FORMATS:
        for url, who in [(u, client) for u in urls] + [(draft_url, facilitator_client)]:
            response = who.get(url, {"format": fmt})
            assert response.status_code == 200, (url, fmt)
            body = response.content.decode()
            for secret in secrets:
                assert secret not in body, f"{secret!r} leaked in {fmt} from {url}"
            if fmt in json_schemas:
                lines = body.splitlines() if fmt in ("preferences", "eval") else [body]
                assert lines, (url, fmt)
                for line in lines:
                    jsonschema.validate(json.loads(line), json_schemas[fmt])
                    keys = _walk_keys(json.loads(line))
                    assert not keys & {
                        "user",
                        "user_id",
                        "username",
                        "email",
                        "account",
                        "members",
                        "xid",
                    }, fmt
            checked += 1
    assert checked == 3 * len(FORMATS) == 21
    # The pages and the run detail (facilitators) do not carry them either.
    run_url = reverse("aggregation-api:run-detail", kwargs={"run_id": draft.run_id})
    run_body = facilitator_client.get(run_url).content.decode()
    page_body = client.get(reverse("aggregation:profile", kwargs={"space_id": space.pk})).content
    for secret in secrets:
        assert secret not in run_body
        assert secret not in page_body.decode()


def test_segment_cells_under_five_people_are_suppressed_in_exports(client: Client) -> None:
    space = SpaceFactory.create()
    d = populate(space, participants=20, accounts=10)
    add_segment(space, d.users, label="Age band", choices={"18-34": 5, "35-64": 4, "65+": 1})
    published(space)

    body = client.get(
        reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk})
    ).json()

    cells = {s["choice"]: s for s in body["segments"]}
    assert cells["18-34"]["participants"] == 5
    assert cells["18-34"]["suppressed"] is False
    for small in ("35-64", "65+"):
        assert cells[small]["suppressed"] is True
        assert cells[small]["participants"] is None
        assert cells[small]["agree_rates"] == {}
    assert all(s["participants"] is None or s["participants"] >= 5 for s in body["segments"])


def test_a_statement_fewer_than_five_segment_members_voted_on_has_no_rate(
    client: Client,
) -> None:
    from elicitation.models import Vote, VoteEvent

    space = SpaceFactory.create()
    d = populate(space, participants=20, accounts=6)
    add_segment(space, d.users, label="Region", choices={"North": 6})
    # Two northerners take back their vote on statement 1: 4 voters remain.
    northerners = [p for p in d.participants if p.user_id is not None][:2]
    Vote.objects.filter(participant__in=northerners, statement=d.statements[0]).delete()
    VoteEvent.objects.filter(participant__in=northerners, statement=d.statements[0]).delete()
    published(space)

    body = client.get(
        reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk})
    ).json()

    north = body["segments"][0]
    assert north["participants"] == 6
    assert north["agree_rates"]["1"] is None
    assert north["agree_rates"]["2"] is not None
