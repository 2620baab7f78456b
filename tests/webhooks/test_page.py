"""The owners' webhooks page: register, see the secret once, deliveries, re-send, disable, delete."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from aggregation import services as aggregation_services
from aggregation.models import AnalysisRun
from communities.models import Membership
from communities.roles import Role
from tests.aggregation.test_webhooks import DNS, Receiver
from tests.factories import MembershipFactory, SpaceFactory
from webhooks import addresses
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_dns_and_eager_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    real = addresses.resolve
    monkeypatch.setattr(addresses, "resolve", lambda host, port: DNS.get(host) or real(host, port))
    monkeypatch.setattr(
        webhook_services, "_enqueue", lambda delivery_id: deliver_webhook.apply(args=(delivery_id,))
    )


@pytest.fixture
def owner() -> Membership:
    return MembershipFactory.create(role=Role.OWNER)


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def _fail_a_run(membership: Membership, capture: Any) -> None:
    space = SpaceFactory.create(community=membership.community)
    run = aggregation_services.run_request(space=space, trigger="manual", enqueue=False)
    assert run is not None
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.RUNNING)
    with capture(execute=True):
        aggregation_services.run_fail(run_id=run.pk, error="the engine stopped")


def test_an_owner_registers_an_endpoint_and_sees_its_secret_once(owner: Membership) -> None:
    client = _client(owner)
    url = f"/c/{owner.community.slug}/webhooks/"
    answer = client.post(
        url, {"url": "https://example.org/hook", "events": ["profile.published", "run.failed"]}
    )
    assert answer.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["profile.published", "run.failed"]
    assert endpoint.created_by == owner.user
    page = answer.content.decode()
    assert endpoint.secret in page
    assert re.search(r'data-copy="new-webhook-secret"', page)
    later = client.get(url).content.decode()
    assert endpoint.secret not in later
    assert "https://example.org/hook" in later


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        ({"url": "http://example.org/hook", "events": ["run.failed"]}, "https://"),
        ({"url": "https://intranet.example.org/hook", "events": ["run.failed"]}, "10.0.0.5"),
        ({"url": "https://example.org/hook"}, "Choose at least one event"),
    ],
)
def test_a_refused_endpoint_is_explained_on_the_form_and_nothing_is_saved(
    owner: Membership, settings: Any, data: dict[str, Any], field_text: str
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP = False
    answer = _client(owner).post(f"/c/{owner.community.slug}/webhooks/", data)
    assert answer.status_code == 400
    assert field_text in answer.content.decode()
    assert 'role="alert"' in answer.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_only_owners_reach_the_page_and_only_they_see_the_link(owner: Membership) -> None:
    url = f"/c/{owner.community.slug}/webhooks/"
    assert url.encode() in _client(owner).get(owner.community.get_absolute_url()).content
    for role in (Role.FACILITATOR, Role.MEMBER):
        other = MembershipFactory.create(community=owner.community, role=role)
        client = _client(other)
        assert client.get(url).status_code == 403
        assert (
            client.post(url, {"url": "https://example.org/h", "events": ["run.failed"]}).status_code
            == 403
        )
        assert url.encode() not in client.get(owner.community.get_absolute_url()).content
    assert Client().get(url).status_code == 302  # to the log-in page
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_resent_and_a_disabled_endpoint_gets_nothing(
    owner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(owner)
    slug = owner.community.slug
    with Receiver(statuses=[500] * 7) as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/c/{slug}/webhooks/", {"url": receiver.url, "events": ["run.failed"]})
        endpoint = WebhookEndpoint.objects.get()
        _fail_a_run(owner, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == WebhookDelivery.Status.FAILED
        page = client.get(f"/c/{slug}/webhooks/").content.decode()
        assert "run.failed" in page
        assert "Failed" in page
        assert ">7<" in page  # attempts
        assert ">500<" in page  # the last response code
        resend = f"/c/{slug}/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend/"
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(resend).status_code == 302
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_code) == (WebhookDelivery.Status.SUCCEEDED, 200)
        assert ">200<" in client.get(f"/c/{slug}/webhooks/").content.decode()

        toggle = f"/c/{slug}/webhooks/{endpoint.pk}/enabled/"
        assert client.post(toggle, {"enabled": "0"}).status_code == 302
        assert "Disabled" in client.get(f"/c/{slug}/webhooks/").content.decode()
        sent = len(receiver.requests)
        _fail_a_run(owner, django_capture_on_commit_callbacks)
        assert len(receiver.requests) == sent
        assert WebhookDelivery.objects.count() == 1
        assert client.post(toggle, {"enabled": "1"}).status_code == 302
        _fail_a_run(owner, django_capture_on_commit_callbacks)
        assert WebhookDelivery.objects.count() == 2

    assert client.post(f"/c/{slug}/webhooks/{endpoint.pk}/delete/").status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert f'id="endpoint-{endpoint.pk}"' not in client.get(f"/c/{slug}/webhooks/").content.decode()
    # Another community's owner cannot touch it.
    stranger = _client(MembershipFactory.create(role=Role.OWNER))
    assert (
        stranger.post(f"/c/{slug}/webhooks/{endpoint.pk}/enabled/", {"enabled": "1"}).status_code
        == 403
    )


def test_the_page_reads_a_bounded_number_of_queries(
    owner: Membership, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        endpoint = WebhookEndpoint.objects.create(
            community=owner.community,
            url=f"https://example.org/{n}",
            secret="s",
            events=["run.failed"],
        )
        for _ in range(15):
            WebhookDelivery.objects.create(endpoint=endpoint, event="run.failed", payload={})
    client = _client(owner)
    with django_assert_max_num_queries(20):
        page = client.get(f"/c/{owner.community.slug}/webhooks/")
    assert page.content.decode().count("Send again<span") == 10 * 10
