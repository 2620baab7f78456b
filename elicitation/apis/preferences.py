"""Pairwise and ranking API: the next pair, comparisons, a participant's ranking."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from config.exceptions import Forbidden
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    SpaceApi,
    _errors,
    name_nested_serializers,
    number_field,
)
from elicitation.apis.statements import StatementOutputSerializer
from elicitation.models import Comparison, Statement
from elicitation.throttles import ParticipantFixedWindowThrottle


class PairNextApi(SpaceApi):
    class OutputSerializer(serializers.Serializer):
        statement_a = StatementOutputSerializer(allow_null=True)
        statement_b = StatementOutputSerializer(allow_null=True)

    @extend_schema(
        operation_id="pairs_next",
        parameters=ACCESS_PARAMETERS,
        responses={200: OutputSerializer, **_errors(403, 404, 429)},
        description="The next pair to compare (both null when fewer than two statements).",
    )
    def get(self, request: Request, space_id: int) -> Response:
        access = self.access(request, space_id)
        space = access.space
        if not space.pairwise_enabled:
            raise Forbidden(
                _("Pairwise comparison is switched off in this space."), code="activity_off"
            )
        pair = selectors.pair_next(space=space, participant=access.participant)
        return Response(
            {
                "statement_a": StatementOutputSerializer(pair[0]).data if pair else None,
                "statement_b": StatementOutputSerializer(pair[1]).data if pair else None,
            }
        )


class ComparisonCreateApi(SpaceApi):
    # Votes and comparisons share the "space_votes" budget, counted cheaply.
    throttle_classes = [ParticipantFixedWindowThrottle]
    throttle_scope = "space_votes"

    class InputSerializer(serializers.Serializer):
        statement_a = number_field()
        statement_b = number_field()
        choice = serializers.ChoiceField(choices=Comparison.Choice.choices)
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        statement_a = serializers.IntegerField()
        statement_b = serializers.IntegerField()
        choice = serializers.CharField()
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="comparisons_create",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: OutputSerializer,
            200: OpenApiResponse(OutputSerializer, "Updated your last answer on the same pair."),
            **_errors(400, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = self.identity(request, space)
        participant = identity.participant()
        v = data.validated_data
        comparison, created = services.comparison_record(
            participant=participant,
            statement_a=v["statement_a"],
            statement_b=v["statement_b"],
            choice=v["choice"],
            reason=v.get("reason", ""),
        )
        numbers = dict(
            Statement.objects.filter(
                pk__in=[comparison.statement_a_id, comparison.statement_b_id]
            ).values_list("pk", "number")
        )
        response = Response(
            {
                "statement_a": numbers[comparison.statement_a_id],
                "statement_b": numbers[comparison.statement_b_id],
                "choice": comparison.choice,
                "reason": comparison.reason,
                "created_at": comparison.created_at,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        identity.attach(response)
        return response


class RankingApi(SpaceApi):
    """Your ranked ballot: read it, or replace it (first choice first)."""

    throttle_scopes = {"PUT": "space_writes"}

    class InputSerializer(serializers.Serializer):
        statements = serializers.ListField(child=number_field(), allow_empty=False, max_length=20)
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        statements = serializers.ListField(child=serializers.IntegerField())
        ranking_size = serializers.IntegerField()

    @extend_schema(
        operation_id="ranking_retrieve",
        parameters=ACCESS_PARAMETERS,
        responses={200: OutputSerializer, **_errors(404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        access = self.access(request, space_id)
        space = access.space
        ballot = selectors.ranking_for(participant=access.participant)
        return Response(
            {"statements": [s.number for s in ballot], "ranking_size": space.ranking_size}
        )

    @extend_schema(
        operation_id="ranking_submit",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={200: OutputSerializer, **_errors(400, 403, 404, 409, 429)},
        description="Replaces the whole ballot atomically: at most k distinct accepted statements.",
    )
    def put(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = self.identity(request, space)
        participant = identity.participant()
        services.ranking_submit(
            participant=participant,
            statement_numbers=data.validated_data["statements"],
        )
        response = Response(
            {
                "statements": [s.number for s in selectors.ranking_for(participant=participant)],
                "ranking_size": space.ranking_size,
            }
        )
        identity.attach(response)
        return response


name_nested_serializers(globals())
