"""Debate API: arguments for and against a statement."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from config.pagination import LimitOffsetPagination
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    SpaceApi,
    _errors,
    id_field,
    name_nested_serializers,
)
from elicitation.models import ARGUMENT_MAX_LENGTH, Argument, ModerationStatus


class ArgumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stance = serializers.CharField()
    text = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    status = serializers.CharField()
    author = serializers.IntegerField(source="author.number", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class ArgumentListCreateApi(SpaceApi):
    """Arguments for and against a statement (flat, with `parent` for threads); or post one."""

    throttle_scopes = {"POST": "space_writes"}

    pagination_class = LimitOffsetPagination  # the schema shows the list is paged

    class InputSerializer(serializers.Serializer):
        stance = serializers.ChoiceField(choices=Argument.Stance.choices)
        text = serializers.CharField(max_length=ARGUMENT_MAX_LENGTH * 2)
        parent = id_field(required=False, allow_null=True)  # type: ignore[assignment]
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="arguments_list",
        parameters=ACCESS_PARAMETERS,
        responses={200: ArgumentOutputSerializer(many=True), **_errors(404, 429)},
    )
    def get(self, request: Request, space_id: int, number: int) -> Response:
        space = self.space(request, space_id)
        statement = selectors.statement_get_visible(
            space=space, number=number, participant=None, moderator=False
        )
        arguments = (
            Argument.objects.filter(statement=statement, status=ModerationStatus.ACCEPTED)
            .select_related("author")
            .order_by("created_at", "id")
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(arguments, request, view=self)
        return paginator.get_paginated_response(ArgumentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="arguments_create",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: ArgumentOutputSerializer,
            200: OpenApiResponse(ArgumentOutputSerializer, "The same argument again (replay)."),
            **_errors(400, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, space_id: int, number: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = selectors.statement_get_visible(
            space=space, number=number, participant=None, moderator=False
        )
        parent = None
        if data.validated_data.get("parent") is not None:
            parent = Argument.objects.filter(
                pk=data.validated_data["parent"], statement=statement
            ).first()
            if parent is None:
                raise serializers.ValidationError(
                    {"parent": [_("No such argument on this statement.")]}
                )
        identity = self.identity(request, space)
        participant = identity.participant()
        argument, created = services.argument_post(
            statement=statement,
            participant=participant,
            stance=data.validated_data["stance"],
            text=data.validated_data["text"],
            parent=parent,
        )
        argument.author = participant
        response = Response(
            ArgumentOutputSerializer(argument).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        identity.attach(response)
        return response


name_nested_serializers(globals())
