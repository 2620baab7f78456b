"""Webhooks: register endpoints, emit events, attempt and re-send deliveries."""

from __future__ import annotations

import functools
import http.client
import json
import logging
import secrets
import socket
import time
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from webhooks.addresses import Target, Unresolvable, webhook_target
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.signing import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_COMMUNITY = 10
REQUEST_TIMEOUT_S = 10


def webhook_url_check(url: str) -> str:
    """A URL webhooks may be sent to (webhooks.addresses); ValidationError on "url" if not."""
    webhook_target(url, must_resolve=False)
    return url.strip()


@transaction.atomic
def webhook_endpoint_create(
    *, community: Community, actor: User, url: str, events: list[str]
) -> WebhookEndpoint:
    url = webhook_url_check(url)
    unknown = sorted(set(events) - set(Event.values))
    if unknown or not events:
        raise ValidationError(
            {
                "events": (
                    _("Choose events among %(events)s; unknown: %(unknown)s.")
                    if unknown
                    else _("Choose events among %(events)s.")
                )
                % {"events": ", ".join(Event.values), "unknown": ", ".join(unknown)}
            }
        )
    Community.objects.select_for_update().filter(pk=community.pk).first()
    active = WebhookEndpoint.objects.filter(community=community, is_active=True)
    if active.count() >= MAX_ENDPOINTS_PER_COMMUNITY:
        raise ValidationError(
            _("A community has at most %(max)d webhooks.") % {"max": MAX_ENDPOINTS_PER_COMMUNITY}
        )
    endpoint = WebhookEndpoint(
        community=community,
        url=url,
        secret="whsec_" + secrets.token_hex(24),
        events=sorted(set(events)),
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])


def webhook_endpoint_set_enabled(*, endpoint: WebhookEndpoint, enabled: bool) -> None:
    """A disabled endpoint is sent no new events (deliveries already made can be re-sent)."""
    endpoint.is_enabled = enabled
    endpoint.save(update_fields=["is_enabled"])


def webhook_event_emit(*, community_id: int, event: str, data: dict[str, Any]) -> list[int]:
    """One delivery per active endpoint that wants `event`, sent after the commit."""
    assert event in Event.values, event
    payload = {"event": event, "created_at": timezone.now().isoformat(), "data": data}
    ids = []
    for endpoint in WebhookEndpoint.objects.filter(
        community_id=community_id, is_active=True, is_enabled=True
    ):
        if event in endpoint.events:
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, payload=payload
            )
            ids.append(delivery.pk)
            transaction.on_commit(functools.partial(_enqueue, delivery.pk))
    return ids


def _enqueue(delivery_id: int) -> None:
    from webhooks.tasks import deliver_webhook

    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # broker down: the delivery stays pending, re-sendable from the API
        logger.exception("Could not enqueue webhook delivery %s", delivery_id)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    payload = {"id": delivery.pk, **delivery.payload}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def webhook_delivery_attempt(*, delivery_id: int) -> bool:
    """POST the delivery once; record the outcome. True when done (2xx or already done)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return True  # a duplicate task message: never deliver twice
    try:
        target = webhook_target(delivery.endpoint.url)
    except Unresolvable as exc:
        _record_attempt(delivery, code=None, error=" ".join(exc.messages))
        return False  # DNS may answer later: retried like a connection failure
    except ValidationError as exc:
        # The name now resolves somewhere webhooks may not go: never connect.
        # Not retried; a re-send checks again.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts + 1,
            response_code=None,
            error=_("Refused: %(reason)s") % {"reason": " ".join(exc.messages)},
            last_attempt_at=timezone.now(),
            status=WebhookDelivery.Status.FAILED,
        )
        return True
    assert target is not None  # must_resolve: None only at registration
    body = delivery_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Polyphony-Webhooks/1",
        "Polyphony-Event": delivery.event,
        "Polyphony-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
    }
    code: int | None = None
    error = ""
    connection = _pinned_connection(target)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        code = response.status
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except (OSError, http.client.HTTPException) as exc:
        error = _("Could not connect: %(reason)s") % {"reason": exc}
    finally:
        connection.close()
    return _record_attempt(delivery, code=code, error=error)


def _record_attempt(delivery: WebhookDelivery, *, code: int | None, error: str) -> bool:
    ok = code is not None and 200 <= code < 300
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        response_code=code,
        error="" if ok else error,
        last_attempt_at=timezone.now(),
        status=WebhookDelivery.Status.SUCCEEDED if ok else delivery.status,
        delivered_at=timezone.now() if ok else None,
    )
    return ok


def _pinned_connection(target: Target) -> http.client.HTTPConnection:
    """A connection to the checked address, whatever the name resolves to meanwhile.

    TLS still verifies the certificate against the URL's host name (the
    connection's `host`); only the socket goes to `target.address`.
    """
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=REQUEST_TIMEOUT_S
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=REQUEST_TIMEOUT_S)

    def connect_to_checked_address(
        address: tuple[str, int], timeout: float, source: Any = None
    ) -> socket.socket:
        return socket.create_connection((target.address, address[1]), timeout, source)

    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    return connection


def webhook_delivery_give_up(*, delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).exclude(
        status=WebhookDelivery.Status.SUCCEEDED
    ).update(status=WebhookDelivery.Status.FAILED)


def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a recorded delivery again (same id and body, a fresh signature)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, delivered_at=None
    )
    transaction.on_commit(functools.partial(_enqueue, delivery.pk))
    delivery.refresh_from_db()
    return delivery
