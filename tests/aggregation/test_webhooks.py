"""Webhooks: a receiver on loopback gets signed deliveries, retried after a failure."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from aggregation import services
from aggregation.models import AnalysisRun, ValueProfile
from communities.roles import Role
from tests.aggregation.conftest import analysed, member_of
from tests.aggregation.data import Deliberation
from webhooks import addresses
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tasks import MAX_RETRIES, backoff_s, deliver_webhook

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verifier() -> Callable[..., bool]:
    """The verifier function as the README prints it, executed."""
    text = README.read_text()
    code = re.search(r"<!-- webhook-verifier -->\n```python\n(.*?)```", text, re.S)
    assert code, "the README lost its webhook verifier"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    return namespace["verify_polyphony_webhook"]  # type: ignore[no-any-return,unused-ignore]


class Receiver:
    """An HTTP server on loopback answering the statuses it is given, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.requests.append((dict(self.headers.items()), body, code))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# What the tests' DNS answers (there is none in CI); other names resolve for real.
DNS: dict[str, list[str]] = {
    "example.org": ["93.184.215.14"],
    "intranet.example.org": ["10.0.0.5"],
    "sneaky.example.org": ["93.184.215.14", "192.168.1.10"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    real = addresses.resolve
    answers = {name: list(ips) for name, ips in DNS.items()}
    monkeypatch.setattr(
        addresses, "resolve", lambda host, port: answers.get(host) or real(host, port)
    )
    return answers


@pytest.fixture(autouse=True)
def _deliver_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # The task itself, run eagerly: Celery then runs its retries at once
    # instead of after the backoff (the countdowns are tested separately).
    monkeypatch.setattr(
        webhook_services, "_enqueue", lambda delivery_id: deliver_webhook.apply(args=(delivery_id,))
    )


def _owner_api(deliberation: Deliberation) -> APIClient:
    api = APIClient()
    api.force_authenticate(member_of(deliberation.space, Role.OWNER))
    return api


def _register(api: APIClient, slug: str, url: str, events: list[str]) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/communities/{slug}/webhooks/", {"url": url, "events": events}, format="json"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def _publish(deliberation: Deliberation, capture: Any) -> ValueProfile:
    space = deliberation.space
    analysed(space)
    draft = ValueProfile.objects.get(space=space, status=ValueProfile.Status.DRAFT)
    with capture(execute=True):
        return services.profile_publish(profile=draft, actor=member_of(space, Role.FACILITATOR))


def test_a_published_profile_reaches_the_receiver_signed_after_one_failure(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    with Receiver(statuses=[503]) as receiver:
        endpoint = _register(api, slug, receiver.url, ["profile.published", "run.failed"])
        profile = _publish(deliberation, django_capture_on_commit_callbacks)
    assert [code for _, _, code in receiver.requests] == [503, 200]
    headers, body, _ = receiver.requests[-1]
    verify = readme_verifier()
    assert verify(endpoint["secret"], body, headers["Polyphony-Signature"])
    assert not verify(endpoint["secret"], body + b" ", headers["Polyphony-Signature"])
    assert not verify("whsec_wrong", body, headers["Polyphony-Signature"])
    stale = re.sub(r"t=\d+", "t=1000", headers["Polyphony-Signature"])
    assert not verify(endpoint["secret"], body, stale)  # a replay of an old delivery
    assert headers["Polyphony-Event"] == "profile.published"
    delivery = WebhookDelivery.objects.get()
    assert headers["Polyphony-Delivery"] == str(delivery.pk)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.response_code) == (2, 200)
    listed = api.get(f"/api/v1/communities/{slug}/webhooks/{endpoint['id']}/deliveries/")
    assert listed.json()["results"][0]["payload"]["data"]["version"] == (profile.version)
    assert listed.json()["results"][0]["attempts"] == 2


def test_a_delivery_is_given_up_after_its_retries_and_can_be_resent(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    with Receiver(statuses=[500] * (MAX_RETRIES + 1)) as receiver:
        endpoint = _register(api, slug, receiver.url, ["profile.published"])
        _publish(deliberation, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == WebhookDelivery.Status.FAILED
        assert (delivery.attempts, delivery.response_code) == (MAX_RETRIES + 1, 500)
        with django_capture_on_commit_callbacks(execute=True):
            resent = api.post(
                f"/api/v1/communities/{slug}/webhooks/{endpoint['id']}"
                f"/deliveries/{delivery.pk}/resend/"
            )
        assert resent.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert receiver.requests[-1][0]["Polyphony-Delivery"] == str(delivery.pk)
    # A duplicate task message finds the delivery done and sends nothing.
    deliver_webhook.apply(args=(delivery.pk,))
    assert len(receiver.requests) == MAX_RETRIES + 2
    assert [backoff_s(n) for n in range(MAX_RETRIES)] == [30, 60, 120, 240, 480, 960]


def test_a_failed_run_and_a_retraction_are_delivered(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    with Receiver(statuses=[]) as receiver:
        _register(api, slug, receiver.url, ["run.failed", "profile.retracted"])
        profile = _publish(deliberation, django_capture_on_commit_callbacks)
        run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
        assert run is not None
        AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.RUNNING)
        with django_capture_on_commit_callbacks(execute=True):
            services.run_fail(run_id=run.pk, error="the engine stopped")
        with django_capture_on_commit_callbacks(execute=True):
            services.profile_retract(
                profile=profile,
                actor=member_of(deliberation.space, Role.FACILITATOR),
                reason="A statement was mis-moderated.",
            )
    events = [headers["Polyphony-Event"] for headers, _, _ in receiver.requests]
    assert events == ["run.failed", "profile.retracted"]
    assert b"the engine stopped" in receiver.requests[0][1]
    assert b"mis-moderated" in receiver.requests[1][1]


def test_only_owners_register_and_only_https_or_loopback(
    deliberation: Deliberation, settings: Any
) -> None:
    slug = deliberation.space.community.slug
    facilitator = APIClient()
    facilitator.force_authenticate(member_of(deliberation.space, Role.FACILITATOR))
    url = f"/api/v1/communities/{slug}/webhooks/"
    body = {"url": "https://example.org/hook", "events": ["profile.published"]}
    assert facilitator.post(url, body, format="json").status_code == 403
    api = _owner_api(deliberation)
    plain = api.post(url, {**body, "url": "http://example.org/hook"}, format="json")
    assert plain.status_code == 400
    assert "https" in str(plain.json())
    settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP = False
    local = api.post(url, {**body, "url": "http://127.0.0.1:9/hook"}, format="json")
    assert local.status_code == 400
    unknown = api.post(url, {**body, "events": ["space.exploded"]}, format="json")
    assert unknown.status_code == 400
    assert api.post(url, body, format="json").status_code == 201


def test_a_run_failed_by_the_stale_run_reaper_is_announced_once(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    with Receiver(statuses=[]) as receiver:
        _register(api, slug, receiver.url, ["run.failed"])
        run = services.run_request(space=deliberation.space, trigger=AnalysisRun.Trigger.MANUAL)
        assert run is not None
        # Its worker died on the last attempt: silent since long before the cutoff.
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=AnalysisRun.Status.RUNNING,
            stage="groups",
            attempts=services.MAX_ATTEMPTS,
            heartbeat_at=timezone.now() - timedelta(seconds=services.STALE_AFTER_S + 5),
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert services.run_reap_stale() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.run_reap_stale() == 0  # already failed: nothing more to say
    assert AnalysisRun.objects.get(pk=run.pk).status == AnalysisRun.Status.FAILED
    assert [headers["Polyphony-Event"] for headers, _, _ in receiver.requests] == ["run.failed"]
    body = json.loads(receiver.requests[0][1])
    assert body["data"]["run"] == run.pk
    assert "stopped responding in stage groups" in body["data"]["error"]


@pytest.mark.parametrize(
    "url",
    [
        "https://intranet.example.org/hook",  # a name resolving to a private address
        "https://sneaky.example.org/hook",  # one of its addresses is private
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "https://[fe80::1]/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://127.0.0.1/hook",  # loopback, with loopback not allowed
        "https://localhost/hook",
        "https://[::1]/hook",
        "http://127.0.0.1:9/hook",
        "https://user:secret@example.org/hook",
        "ftp://example.org/hook",
    ],
)
def test_registration_refuses_urls_that_reach_inside_the_network(
    deliberation: Deliberation, settings: Any, url: str
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP = False
    api = _owner_api(deliberation)
    answer = api.post(
        f"/api/v1/communities/{deliberation.space.community.slug}/webhooks/",
        {"url": url, "events": ["profile.published"]},
        format="json",
    )
    assert answer.status_code == 400, answer.json()
    assert list(answer.json()) == ["url"]
    assert WebhookEndpoint.objects.count() == 0


def test_a_name_that_later_resolves_inside_is_refused_at_delivery_without_connecting(
    deliberation: Deliberation,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    fake_dns: dict[str, list[str]],
) -> None:
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    with Receiver(statuses=[]) as receiver:
        public = _register(api, slug, "https://example.org/hook", ["profile.published"])
        local = _register(api, slug, receiver.url, ["profile.published"])
        # The owner's DNS now points the name at the intranet (DNS rebinding),
        # and this machine no longer allows loopback.
        fake_dns["example.org"] = ["10.0.0.5"]
        settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP = False
        _publish(deliberation, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    for endpoint, where in ((public, "10.0.0.5"), (local, "https://")):
        delivery = WebhookDelivery.objects.get(endpoint_id=endpoint["id"])
        assert delivery.status == WebhookDelivery.Status.FAILED
        assert delivery.attempts == 1  # refused once, not retried
        assert delivery.response_code is None
        assert delivery.error.startswith("Refused:")
        assert where in delivery.error


def test_a_name_that_does_not_resolve_yet_is_accepted_and_retried_at_delivery(
    deliberation: Deliberation, django_capture_on_commit_callbacks: Any
) -> None:
    # Its owner may still be setting up DNS; the delivery checks again.
    api = _owner_api(deliberation)
    slug = deliberation.space.community.slug
    _register(api, slug, "https://not-yet.example.org/hook", ["profile.published"])
    _publish(deliberation, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED  # after every retry
    assert delivery.attempts == MAX_RETRIES + 1
    assert "could not be resolved" in delivery.error
