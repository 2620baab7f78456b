"""Webhook reads, for the community's owners only."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from communities.models import Community
from communities.roles import Action
from communities.selectors import community_get_for_action
from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_community_for_owner(*, user: User | AnonymousUser, slug: str) -> Community:
    community, _membership = community_get_for_action(
        user=user, slug=slug, action=Action.EDIT_COMMUNITY
    )
    return community


def webhook_endpoints_of(*, community: Community) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(community=community, is_active=True)


def webhook_endpoint_get(*, community: Community, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoints_of(community=community).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404(_("No such webhook in this community."))
    return endpoint


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint)


def webhook_delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = webhook_deliveries_of(endpoint=endpoint).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404(_("No such delivery of this webhook."))
    return delivery


# Deliveries shown per endpoint on the owners' page (the API pages through all).
PAGE_DELIVERIES = 10


def webhook_page_rows(
    *, community: Community
) -> list[tuple[WebhookEndpoint, list[WebhookDelivery]]]:
    """The community's endpoints, each with its latest deliveries.

    One query per endpoint for its deliveries: a community has at most
    services.MAX_ENDPOINTS_PER_COMMUNITY (10) endpoints, so the page is bounded
    (tests/webhooks counts), and each query reads only its newest rows.
    """
    return [
        (endpoint, list(webhook_deliveries_of(endpoint=endpoint)[:PAGE_DELIVERIES]))
        for endpoint in webhook_endpoints_of(community=community)
    ]
