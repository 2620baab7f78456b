"""Statements API: list and propose."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from config.pagination import LimitOffsetPagination
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    DuplicateOutputSerializer,
    SimilarOutputSerializer,
    SpaceApi,
    _errors,
    name_nested_serializers,
)
from elicitation.models import ModerationStatus


class StatementOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField(help_text="Plain text; escape it when you display it.")
    status = serializers.CharField()
    is_seed = serializers.BooleanField()
    is_meta = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class StatementCountsOutputSerializer(StatementOutputSerializer):
    agree = serializers.IntegerField()
    disagree = serializers.IntegerField()
    passes = serializers.IntegerField()


class StatementListProposeApi(SpaceApi):
    """Accepted statements with their vote counts; or propose a new statement."""

    throttle_scopes = {"POST": "space_writes"}

    pagination_class = LimitOffsetPagination  # the schema shows the list is paged

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=2000, allow_blank=True, trim_whitespace=False)
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)
        seed = serializers.BooleanField(
            default=False,
            help_text="Moderators: add a seed statement (accepted at once, also in drafts).",
        )
        is_meta = serializers.BooleanField(
            default=False, help_text="Moderators: a statement about the process, not a value."
        )
        distinct = serializers.BooleanField(
            default=False,
            help_text="Confirm the statement says something different from the similar ones "
            "a previous attempt was answered with (409, code similar).",
        )

    @extend_schema(
        operation_id="statements_list",
        parameters=[
            *ACCESS_PARAMETERS,
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                enum=ModerationStatus.values,
                description="accepted (default); pending and rejected are for moderators "
                "(the moderation queue).",
            ),
        ],
        responses={200: StatementCountsOutputSerializer(many=True), **_errors(400, 403, 404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        wanted = request.query_params.get("status", ModerationStatus.ACCEPTED)
        if wanted not in ModerationStatus.values:
            raise serializers.ValidationError(
                {
                    "status": [
                        _("Use one of %(values)s.") % {"values": ", ".join(ModerationStatus.values)}
                    ]
                }
            )
        action = Action.VIEW if wanted == ModerationStatus.ACCEPTED else Action.MODERATE
        space = self.space(request, space_id, action)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.statements_with_counts(space=space, status=wanted), request, view=self
        )
        return paginator.get_paginated_response(
            StatementCountsOutputSerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="statements_propose",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: StatementOutputSerializer,
            **_errors(400, 403, 404, 429),
            409: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="StatementProposeConflict",
                    serializers=[DuplicateOutputSerializer, SimilarOutputSerializer],
                    resource_type_field_name=None,
                ),
                "A duplicate (with a pointer to the existing statement); statements that say "
                "much the same by meaning (code similar, with the list: send distinct=true to "
                "propose anyway); or the space is closed.",
            ),
        },
        description="10 to 280 characters after trimming. Pending under pre-moderation. "
        "Moderators may send seed=true (and is_meta) to add seed statements.",
    )
    def post(self, request: Request, space_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["seed"] or v["is_meta"]:
            space = self.space(request, space_id, Action.MODERATE)
            if not v["seed"]:
                raise serializers.ValidationError(
                    {"is_meta": [_("Only seed statements set is_meta.")]}
                )
            statement = services.statement_seed(
                space=space,
                actor=request.user,
                text=v["text"],
                is_meta=v["is_meta"],
            )
            return Response(
                StatementOutputSerializer(statement).data, status=status.HTTP_201_CREATED
            )
        space = self.space(request, space_id, Action.PARTICIPATE)
        identity = self.identity(request, space)
        participant = identity.participant()
        statement = services.statement_propose(
            space=space,
            participant=participant,
            text=data.validated_data["text"],
            distinct=data.validated_data["distinct"],
        )
        response = Response(
            StatementOutputSerializer(statement).data, status=status.HTTP_201_CREATED
        )
        identity.attach(response)
        return response


name_nested_serializers(globals())
