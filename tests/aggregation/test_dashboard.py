"""The facilitator dashboard: who sees it, what it counts, its bulk moderation, its query budget."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities.roles import Role
from elicitation.models import ModerationAction, ModerationStatus, Space, Statement
from tests.aggregation.conftest import analysed, member_of
from tests.aggregation.data import Deliberation, populate
from tests.factories import SpaceFactory, StatementFactory
from tests.html_tree import parse

pytestmark = pytest.mark.django_db


def _facilitator_client(space: Space) -> Client:
    client = Client()
    client.force_login(member_of(space, Role.FACILITATOR))
    return client


def test_only_facilitators_and_owners_see_the_dashboard(deliberation: Deliberation) -> None:
    space = deliberation.space
    url = f"/s/{space.pk}/dashboard/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    for role in (Role.MEMBER, Role.OBSERVER):
        client = Client()
        client.force_login(member_of(space, role))
        assert client.get(url).status_code == 404
        assert client.get(f"/api/v1/spaces/{space.pk}/dashboard/").status_code == 404
    for role in (Role.FACILITATOR, Role.OWNER):
        client = Client()
        client.force_login(member_of(space, role))
        assert client.get(url).status_code == 200


def test_the_dashboard_counts_what_happened(deliberation: Deliberation) -> None:
    space = deliberation.space
    StatementFactory.create(space=space, number=50, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, number=51, status=ModerationStatus.PENDING)
    analysed(space)
    client = _facilitator_client(space)
    tree = parse(client.get(f"/s/{space.pk}/dashboard/").content.decode())
    counts = {dd.attrs["data-count"]: int(dd.text) for dd in tree.find_all("dd")}
    assert counts == {
        "participants": 24,
        "voters": 24,
        "votes": 24 * 8,
        "statements": 8,
        "statements_pending": 2,
        "comparisons": 24 * 3,
        "ballots": 24,
    }
    chart = tree.find("section", id="glance").find("svg")
    bars = chart.find_all("rect", class_="chart-bar")
    assert sum(int(b.attrs["data-count"]) for b in bars) == 24 * 8
    assert "Succeeded" in tree.find("section", id="run").text
    draft = tree.find("section", id="draft")
    assert "the first version" in draft.text
    assert draft.find("button").text == "Publish this draft"
    queue = tree.find("section", id="queue")
    assert [i.attrs["value"] for i in queue.find_all("input", type="checkbox")] == ["50", "51"]

    api = client.get(f"/api/v1/spaces/{space.pk}/dashboard/").json()
    assert api["counts"] == {**counts, "arguments_pending": 0, "flags_open": 0}
    assert sum(b["votes"] for b in api["activity"]["series"]) == 24 * 8
    assert api["latest_run"]["status"] == "succeeded"
    assert api["draft_profile"] is not None
    assert api["published_version"] is None


def test_the_glance_partial_refreshes_itself_while_the_space_is_open(
    deliberation: Deliberation,
) -> None:
    space = deliberation.space
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.OPEN)
    client = _facilitator_client(space)
    response = client.get(f"/s/{space.pk}/dashboard/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="glance"')
    assert 'hx-trigger="every 15s"' in html
    assert "Latest analysis" not in html
    Space.objects.filter(pk=space.pk).update(phase=Space.Phase.CLOSED)
    html = client.get(f"/s/{space.pk}/dashboard/").content.decode()
    assert "hx-trigger" not in html


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboard_loads_in_a_constant_number_of_queries() -> None:
    small = SpaceFactory.create()
    populate(small, participants=6, statements=4, accounts=0)
    large = SpaceFactory.create()
    populate(large, participants=60, statements=12, accounts=0, seed=3)
    for space in (small, large):
        for n in range(100, 100 + (3 if space is small else 30)):
            StatementFactory.create(space=space, number=n, status=ModerationStatus.PENDING)
        analysed(space)
    counts = []
    for space in (small, large):
        client = _facilitator_client(space)
        counts.append(_queries(client, f"/s/{space.pk}/dashboard/"))
        counts.append(_queries(client, f"/api/v1/spaces/{space.pk}/dashboard/"))
    assert counts[0] == counts[2], counts
    assert counts[1] == counts[3], counts
    assert counts[0] <= 25, counts


def _moderate(client: Client, space: Space, **data: Any) -> Any:
    return client.post(f"/s/{space.pk}/dashboard/moderate/", data, follow=True)


def test_bulk_moderation_approves_rejects_and_marks_meta_with_a_logged_decision_each() -> None:
    space = SpaceFactory.create()
    for n in range(1, 7):
        StatementFactory.create(space=space, number=n, status=ModerationStatus.PENDING)
    client = _facilitator_client(space)

    page = _moderate(client, space, statement=["1", "2"], decision="approve").content.decode()
    assert "2 statements approved: #1, #2." in page
    page = _moderate(client, space, statement=["3"], decision="meta").content.decode()
    assert "1 statement approved as meta: #3." in page
    page = _moderate(
        client, space, statement=["4", "5"], decision="reject", reason="Off topic"
    ).content.decode()
    assert "2 statements rejected" in page

    status = dict(Statement.objects.filter(space=space).values_list("number", "status"))
    assert status == {
        1: "accepted",
        2: "accepted",
        3: "accepted",
        4: "rejected",
        5: "rejected",
        6: "pending",
    }
    assert Statement.objects.get(space=space, number=3).is_meta
    assert not Statement.objects.get(space=space, number=1).is_meta
    logged = ModerationAction.objects.filter(space=space)
    assert logged.count() == 5
    assert set(logged.filter(statement__number__in=[4, 5]).values_list("reason", flat=True)) == {
        "Off topic"
    }


def test_bulk_moderation_changes_nothing_when_one_statement_cannot_be_decided() -> None:
    space = SpaceFactory.create()
    for n in range(1, 4):
        StatementFactory.create(space=space, number=n, status=ModerationStatus.PENDING)
    Statement.objects.filter(space=space, number=3).update(status=ModerationStatus.ACCEPTED)
    client = _facilitator_client(space)

    page = _moderate(client, space, statement=["1", "3"], decision="approve").content.decode()
    assert "Already decided (reload the queue): #3" in page
    page = _moderate(client, space, statement=["1", "2"], decision="reject").content.decode()
    assert "Give a reason" in page
    page = _moderate(client, space, statement=["1", "x"], decision="approve").content.decode()
    assert "&#x27;x&#x27; is not a statement number" in page
    page = _moderate(client, space, decision="approve").content.decode()
    assert "Tick at least one statement" in page
    page = _moderate(client, space, statement=["1"], decision="delete").content.decode()
    assert "Unknown decision" in page
    assert set(
        Statement.objects.filter(space=space, number__in=[1, 2]).values_list("status", flat=True)
    ) == {"pending"}
    assert not ModerationAction.objects.filter(space=space).exists()


def test_members_cannot_moderate_through_the_dashboard() -> None:
    space = SpaceFactory.create()
    StatementFactory.create(space=space, number=1, status=ModerationStatus.PENDING)
    client = Client()
    client.force_login(member_of(space, Role.MEMBER))
    response = client.post(
        f"/s/{space.pk}/dashboard/moderate/", {"statement": ["1"], "decision": "approve"}
    )
    assert response.status_code == 404
    assert Statement.objects.get(space=space, number=1).status == ModerationStatus.PENDING


@pytest.mark.parametrize(
    ("span_days", "bucket", "buckets"), [(1, "hour", None), (10, "day", 11), (200, "week", None)]
)
def test_votes_over_time_are_counted_in_buckets_that_fit_the_span(
    span_days: int, bucket: str, buckets: int | None
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from aggregation.report_selectors import vote_activity
    from elicitation.models import VoteEvent
    from tests.factories import ParticipantFactory

    space = SpaceFactory.create()
    statement = StatementFactory.create(space=space, number=1)
    person = ParticipantFactory.create(space=space, number=1)
    start = timezone.now().replace(hour=12) - timedelta(days=span_days)
    moments = [start + timedelta(days=span_days * k / 20) for k in range(21)]
    VoteEvent.objects.bulk_create(
        VoteEvent(participant=person, statement=statement, value=1, created_at=m) for m in moments
    )
    chart = vote_activity(space=space)
    assert chart is not None
    assert chart.bucket == bucket
    assert chart.total == 21
    if buckets is not None:
        assert len(chart.bars) == buckets
    assert len(chart.bars) <= 60
    assert vote_activity(space=SpaceFactory.create()) is None
