"""Votes API: the next statement to vote on, and casting a vote."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    SpaceApi,
    _errors,
    name_nested_serializers,
    number_field,
)
from elicitation.apis.statements import StatementOutputSerializer
from elicitation.identity import TOKEN_META, find_participant, may_carry_xid, unsign_for_space_id
from elicitation.throttles import ParticipantFixedWindowThrottle
from elicitation.vote_lane import plain_vote, token_vote_body


class NextStatementOutputSerializer(serializers.Serializer):
    statement = StatementOutputSerializer(allow_null=True)
    voted = serializers.IntegerField()
    total = serializers.IntegerField()


class StatementNextApi(SpaceApi):
    @extend_schema(
        operation_id="statements_next",
        parameters=[
            *ACCESS_PARAMETERS,
            OpenApiParameter("xid", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False),
        ],
        responses={200: NextStatementOutputSerializer, **_errors(404, 429)},
        description="The next statement to vote on (null when none is left) and progress.",
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id)
        participant = find_participant(request._request, space)
        routing = selectors.latest_routing(space=space)
        statement = selectors.statement_next(space=space, participant=participant, routing=routing)
        progress = selectors.vote_progress(space=space, participant=participant)
        return Response(
            {
                "statement": StatementOutputSerializer(statement).data if statement else None,
                "voted": progress.voted,
                "total": progress.total,
            }
        )


class VoteCastApi(SpaceApi):
    """Cast or change a vote. Contract: {"statement": <number>, "value": 1|-1|0, "xid"?}."""

    # Votes and comparisons share the "space_votes" budget, counted cheaply.
    throttle_classes = [ParticipantFixedWindowThrottle]
    # JSON only: the hottest endpoint skips negotiating the browsable API
    # (about 5% of a vote's app CPU in the profile); it has nothing to browse.
    renderer_classes = [JSONRenderer]
    throttle_scope = "space_votes"

    class InputSerializer(serializers.Serializer):
        statement = number_field(help_text="The statement's number in this space.")
        value = serializers.ChoiceField(
            choices=[1, -1, 0], help_text="1 agree, -1 disagree, 0 pass."
        )
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        statement = serializers.IntegerField()
        value = serializers.IntegerField()
        participant = serializers.IntegerField()
        updated_at = serializers.DateTimeField()
        changed = serializers.BooleanField(help_text="False when this repeated the stored vote.")

    @extend_schema(
        operation_id="votes_cast",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: OpenApiResponse(OutputSerializer, "First vote on this statement."),
            200: OpenApiResponse(OutputSerializer, "Vote changed, or the same vote repeated."),
            **_errors(400, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, space_id: int) -> Response:
        fast = self._post_known_anonymous(request, space_id)
        if fast is not None:
            return fast
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = self.identity(request, space)
        participant = identity.participant()
        outcome = services.vote_cast(
            participant=participant,
            statement_number=data.validated_data["statement"],
            value=data.validated_data["value"],
        )
        response = Response(
            {
                "statement": outcome.statement.number,
                "value": outcome.value,
                "participant": participant.number,
                "updated_at": outcome.updated_at,
                "changed": outcome.changed,
            },
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )
        identity.attach(response)
        return response

    def _post_known_anonymous(self, request: Request, space_id: int) -> Response | None:
        """The common case in one SQL statement, or None to take the full path.

        An anonymous participant who already holds a token, voting on an
        accepted statement of an open link space (`services.votes_cast_for_anon_tokens`
        admits exactly what `space_get_for_user`, the participant lookup and
        `vote_cast` would). Under gunicorn most such votes never reach this
        view: `elicitation.vote_lane` answers them before Django does, with the
        same statement. Anything else (a logged-in user, an xid, a bad or
        unknown token, input the InputSerializer would refuse, a closed space,
        a pending statement...) returns None and goes through the full path,
        which gives the precise error.
        """
        vote_input = plain_vote(request.data)
        if (
            vote_input is None
            or request.user.is_authenticated
            or may_carry_xid(request._request, space_id)
        ):
            return None
        statement_number, value = vote_input
        token = request.META.get(TOKEN_META, "")
        raw = unsign_for_space_id(space_id, token) if token else ""
        if not raw:
            return None
        (vote,) = services.votes_cast_for_anon_tokens(
            [services.TokenVoteInput(space_id, raw, statement_number, value)]
        )
        if vote is None:
            return None
        return Response(
            token_vote_body(statement_number, value, vote),
            status=status.HTTP_201_CREATED if vote.created else status.HTTP_200_OK,
        )


name_nested_serializers(globals())
