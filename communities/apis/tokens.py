"""API tokens API: list, create, revoke your personal tokens."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities import selectors, services
from communities.apis.common import ServiceApi, _errors, _paginate, _user
from communities.models import ApiToken
from config.pagination import LimitOffsetPagination


class TokenOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    scope = serializers.ChoiceField(
        choices=ApiToken.Scope.choices, help_text="`read` tokens may only read (GET, HEAD)."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="After this moment the token gets 401; null: never."
    )


class TokenCreatedOutput(TokenOutput):
    key = serializers.CharField(help_text="The full key. Shown only in this response.")


class TokenListCreateApi(ServiceApi):
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "TokenCreateInput"

        name = serializers.CharField(max_length=80)
        scope = serializers.ChoiceField(
            choices=ApiToken.Scope.choices, default=ApiToken.Scope.READ_WRITE
        )
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Optional; must be in the future."
        )

    @extend_schema(
        operation_id="tokens_list",
        summary="Your API tokens (keys are never shown again)",
        responses={200: TokenOutput(many=True), **_errors(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return _paginate(self, request, selectors.api_tokens_of(user=_user(request)), TokenOutput)

    @extend_schema(
        operation_id="tokens_create",
        summary="Create an API token; the response holds its key, once",
        request=InputSerializer,
        responses={201: TokenCreatedOutput, **_errors(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            user=_user(request),
            name=data.validated_data["name"],
            scope=data.validated_data["scope"],
            expires_at=data.validated_data.get("expires_at"),
        )
        body = {**TokenOutput(token).data, "key": key}
        return Response(
            TokenCreatedOutput(body).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class TokenRevokeApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="tokens_revoke",
        summary="Revoke one of your tokens",
        responses={200: TokenOutput, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
        return Response(TokenOutput(token).data)
