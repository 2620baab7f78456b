"""An embedding site's xid is accepted only with its signature (or where facilitators trust xids)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from rest_framework.test import APIClient

from elicitation.identity import xid_secret, xid_signature
from elicitation.models import Participant, Space, Vote
from tests.factories import StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded(space: Space) -> Space:
    StatementFactory.create(space=space, number=1)
    return space


def _vote(space: Space, body: dict[str, object]) -> Any:
    return APIClient().post(f"/api/v1/spaces/{space.pk}/votes/", body, format="json")


def test_nobody_can_change_an_xid_participants_votes_without_the_signature(
    embedded: Space,
) -> None:
    signed = _vote(
        embedded,
        {
            "statement": 1,
            "value": 1,
            "xid": "embed-user-42",
            "xid_sig": xid_signature(embedded, "embed-user-42"),
        },
    )
    assert signed.status_code == 201
    forged = _vote(embedded, {"statement": 1, "value": -1, "xid": "embed-user-42"})
    assert forged.status_code == 400
    assert "not signed" in str(forged.json()["xid"])
    wrong = _vote(
        embedded, {"statement": 1, "value": -1, "xid": "embed-user-42", "xid_sig": "0" * 64}
    )
    assert wrong.status_code == 400
    assert Vote.objects.get().value == 1
    assert Participant.objects.filter(space=embedded).count() == 1


def test_a_page_ignores_an_unsigned_xid_and_keeps_a_signed_one(embedded: Space) -> None:
    forger = Client()
    forger.get(f"/s/{embedded.pk}/?xid=embed-user-42")
    forger.post(f"/s/{embedded.pk}/vote/", {"statement": 1, "value": -1})
    assert not Participant.objects.filter(xid="embed-user-42").exists()

    site = Client()
    sig = xid_signature(embedded, "embed-user-42")
    site.get(f"/s/{embedded.pk}/?xid=embed-user-42&xid_sig={sig}")
    site.post(f"/s/{embedded.pk}/vote/", {"statement": 1, "value": 1})
    assert Participant.objects.get(xid="embed-user-42").votes.get().value == 1


def test_facilitators_may_trust_unsigned_xids_explicitly(embedded: Space) -> None:
    embedded.trust_unsigned_xids = True
    embedded.save(update_fields=["trust_unsigned_xids"])
    assert _vote(embedded, {"statement": 1, "value": 1, "xid": "anyone"}).status_code == 201
    assert Participant.objects.get().xid == "anyone"


def test_facilitators_see_the_secret_and_may_switch_trust_on(
    embedded: Space, facilitator: object
) -> None:
    client = Client()
    client.force_login(facilitator)  # type: ignore[arg-type]
    page = client.get(f"/s/{embedded.pk}/edit/")
    assert page.status_code == 200
    assert xid_secret(embedded).encode() in page.content
    assert b"trust_unsigned_xids" in page.content
    other = Client()
    assert xid_secret(embedded).encode() not in other.get(f"/s/{embedded.pk}/").content


def test_an_xid_outside_latin_1_works_instead_of_breaking_the_cookie(embedded: Space) -> None:
    xid = "日本-7"
    client = Client()
    page = client.get(f"/s/{embedded.pk}/?xid={quote(xid)}&xid_sig={xid_signature(embedded, xid)}")
    assert page.status_code == 200
    client.post(f"/s/{embedded.pk}/vote/", {"statement": 1, "value": 1})
    assert Participant.objects.get().xid == xid
    # Unsigned, it is simply not used (and nothing breaks).
    assert Client().get(f"/s/{embedded.pk}/?xid=%E6%97%A5").status_code == 200
