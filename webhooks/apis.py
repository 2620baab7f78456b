"""Webhooks API: a community owner registers endpoints, reads deliveries, re-sends one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities.apis.common import ServiceApi, _errors, _paginate, _user
from config.pagination import LimitOffsetPagination
from webhooks import selectors, services
from webhooks.models import Event, WebhookDelivery


class EndpointOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))
    secret = serializers.CharField(help_text="Signs every delivery (HMAC-SHA256); keep it safe.")
    enabled = serializers.BooleanField(
        source="is_enabled", help_text="False while its owners have disabled it: sent nothing."
    )
    created_at = serializers.DateTimeField()


class DeliveryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    event = serializers.ChoiceField(choices=Event.choices)
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField()


class WebhookListCreateApi(ServiceApi):
    pagination_class = LimitOffsetPagination
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WebhookCreateInput"

        url = serializers.CharField(max_length=500, help_text="https:// only.")
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=Event.choices), allow_empty=False
        )

    @extend_schema(
        operation_id="webhooks_list",
        summary="Webhooks of a community (owners)",
        responses={200: EndpointOutput(many=True), **_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
        endpoints = selectors.webhook_endpoints_of(community=community)
        return _paginate(self, request, endpoints, EndpointOutput)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Register a webhook endpoint (owners)",
        request=InputSerializer,
        responses={201: EndpointOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str) -> Response:
        community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            community=community,
            actor=_user(request),
            url=data.validated_data["url"],
            events=data.validated_data["events"],
        )
        return Response(EndpointOutput(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDeleteApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="webhooks_delete",
        summary="Remove a webhook endpoint (owners)",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, slug: str, endpoint_id: int) -> Response:
        community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
        endpoint = selectors.webhook_endpoint_get(community=community, endpoint_id=endpoint_id)
        services.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(ServiceApi):
    pagination_class = LimitOffsetPagination
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="webhook_deliveries_list",
        summary="Deliveries of a webhook, newest first (owners)",
        responses={200: DeliveryOutput(many=True), **_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
        endpoint = selectors.webhook_endpoint_get(community=community, endpoint_id=endpoint_id)
        return _paginate(
            self, request, selectors.webhook_deliveries_of(endpoint=endpoint), DeliveryOutput
        )


class WebhookDeliveryResendApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="webhook_deliveries_resend",
        summary="Send a delivery again (owners)",
        request=None,
        responses={202: DeliveryOutput, **_errors(401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str, endpoint_id: int, delivery_id: int) -> Response:
        community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
        endpoint = selectors.webhook_endpoint_get(community=community, endpoint_id=endpoint_id)
        delivery = selectors.webhook_delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        delivery = services.webhook_delivery_resend(delivery=delivery)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
