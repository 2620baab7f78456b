"""Webhooks: register endpoints, emit events, attempt and re-send deliveries."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.signing import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_COMMUNITY = 10
REQUEST_TIMEOUT_S = 10


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_check(url: str) -> str:
    """HTTPS only; plain http only to loopback when settings allow it (DEBUG, tests)."""
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise ValidationError(
            {"url": _("Give a full URL, e.g. https://example.org/hooks/polyphony.")}
        )
    if parts.scheme == "https":
        return url.strip()
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        if settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP:
            return url.strip()
        raise ValidationError({"url": _("Plain http is allowed only on a development machine.")})
    raise ValidationError({"url": _("Webhook URLs must use https://.")})


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


def webhook_event_emit(*, community_id: int, event: str, data: dict[str, Any]) -> list[int]:
    """One delivery per active endpoint that wants `event`, sent after the commit."""
    assert event in Event.values, event
    payload = {"event": event, "created_at": timezone.now().isoformat(), "data": data}
    ids = []
    for endpoint in WebhookEndpoint.objects.filter(community_id=community_id, is_active=True):
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
    body = delivery_body(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Polyphony-Webhooks/1",
            "Polyphony-Event": delivery.event,
            "Polyphony-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
        },
    )
    code: int | None = None
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = f"Could not connect: {getattr(exc, 'reason', exc)}"
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
