"""Moderation API: facilitators' decisions on statements, arguments and flags; flags; the decision log."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404
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
    number_field,
)
from elicitation.apis.debate import ArgumentOutputSerializer
from elicitation.apis.statements import StatementOutputSerializer
from elicitation.models import Argument, Flag, ModerationStatus, Statement


class StatementModerateApi(SpaceApi):
    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["approve", "reject", "restore"])
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True)
        is_meta = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="statements_moderate",
        request=InputSerializer,
        responses={200: StatementOutputSerializer, **_errors(400, 401, 403, 404, 429)},
        description="Approve, reject (with a public reason) or restore; logged publicly.",
    )
    def post(self, request: Request, space_id: int, number: int) -> Response:
        space = self.space(request, space_id, Action.MODERATE)
        statement = get_object_or_404(Statement, space=space, number=number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_moderate(
            statement=statement,
            actor=request.user,
            decision=data.validated_data["decision"],
            reason=data.validated_data.get("reason", ""),
            is_meta=data.validated_data.get("is_meta"),
        )
        return Response(StatementOutputSerializer(statement).data)


class FlagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    statement = serializers.SerializerMethodField()
    argument = serializers.IntegerField(source="argument_id", allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_statement(self, flag: Flag) -> int:
        statement = flag.statement or flag.argument.statement  # type: ignore[union-attr]
        return statement.number


class FlagListCreateApi(SpaceApi):
    """Report a statement or argument; moderators list the open reports."""

    pagination_class = LimitOffsetPagination  # the schema shows the list is paged
    throttle_scopes = {"POST": "space_writes"}

    @extend_schema(
        operation_id="flags_list",
        responses={200: FlagOutputSerializer(many=True), **_errors(401, 403, 404, 429)},
        description="Open reports, oldest first (moderators).",
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.MODERATE)
        flags = selectors.moderation_queue(space=space)["flags"]
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(flags, request, view=self)
        return paginator.get_paginated_response(FlagOutputSerializer(page, many=True).data)

    class InputSerializer(serializers.Serializer):
        statement = number_field(required=False, help_text="A statement number.")
        argument = id_field(required=False, help_text="An argument id.")
        reason = serializers.CharField(max_length=500)
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("statement" in attrs) == ("argument" in attrs):
                raise serializers.ValidationError(_("Give either a statement or an argument."))
            return attrs

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="flags_create",
        description="Reports stay possible in a closed space.",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: OutputSerializer,
            200: OpenApiResponse(OutputSerializer, "You already reported it; still open."),
            **_errors(400, 403, 404, 429),
        },
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = argument = None
        if "argument" in data.validated_data:
            argument = get_object_or_404(
                Argument.objects.select_related("statement"),
                pk=data.validated_data["argument"],
                statement__space=space,
                status=ModerationStatus.ACCEPTED,
            )
        else:
            statement = selectors.statement_get_visible(
                space=space,
                number=data.validated_data["statement"],
                participant=None,
                moderator=False,
            )
        identity = self.identity(request, space)
        participant = identity.participant()
        flag, created = services.flag_create(
            participant=participant,
            statement=statement,
            argument=argument,
            reason=data.validated_data["reason"],
        )
        response = Response(
            {"id": flag.pk, "reason": flag.reason, "created_at": flag.created_at},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        identity.attach(response)
        return response


class FlagDismissApi(SpaceApi):
    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="flags_dismiss",
        request=InputSerializer,
        responses={200: FlagOutputSerializer, **_errors(400, 401, 403, 404, 429)},
        description="Close a report without removing its target; logged publicly. "
        "To remove the target, moderate the statement or argument instead.",
    )
    def post(self, request: Request, space_id: int, flag_id: int) -> Response:
        space = self.space(request, space_id, Action.MODERATE)
        flag = get_object_or_404(
            Flag.objects.filter(Q(statement__space=space) | Q(argument__statement__space=space)),
            pk=flag_id,
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_dismiss(
            flag=flag,
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(FlagOutputSerializer(flag).data)


class ArgumentModerateApi(SpaceApi):
    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["approve", "reject", "restore"])
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="arguments_moderate",
        request=InputSerializer,
        responses={200: ArgumentOutputSerializer, **_errors(400, 401, 403, 404, 429)},
        description="Approve, reject (with a public reason) or restore an argument; logged.",
    )
    def post(self, request: Request, space_id: int, argument_id: int) -> Response:
        space = self.space(request, space_id, Action.MODERATE)
        argument = get_object_or_404(Argument, pk=argument_id, statement__space=space)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        argument = services.argument_moderate(
            argument=argument,
            actor=request.user,
            decision=data.validated_data["decision"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(ArgumentOutputSerializer(argument).data)


class DecisionOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    actor_role = serializers.CharField()
    statement = serializers.IntegerField(source="statement.number", allow_null=True, default=None)
    argument = serializers.IntegerField(source="argument_id", allow_null=True)
    reason = serializers.CharField()
    detail = serializers.JSONField()
    created_at = serializers.DateTimeField()


class DecisionListApi(SpaceApi):
    pagination_class = LimitOffsetPagination  # the schema shows the list is paged

    @extend_schema(
        operation_id="decisions_list",
        parameters=ACCESS_PARAMETERS,
        responses={200: DecisionOutputSerializer(many=True), **_errors(404, 429)},
        description="The public decision log of the space, newest first.",
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.decision_log(space=space), request, view=self)
        return paginator.get_paginated_response(DecisionOutputSerializer(page, many=True).data)


name_nested_serializers(globals())
