"""REST API of deliberation spaces (mounted under /api/v1/).

Same permission rules as the pages: every view resolves the space through
`selectors.space_get_for_user`. Anonymous participation in "anyone with the
link" spaces: the first write returns an `X-Participant-Token` header (also
set as a cookie); send it back in that header to act as the same participant.
An embedding site may instead send `xid` (its own user id) in the body.

In a private community a link space is only for those who have its link:
non-members send the link token (the <token> of /j/<token>/) in the
`X-Space-Link` header, or a participant token of the space, which proves the
same. Without either they get 404, as if the space did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from communities.roles import Action
from config.api_errors import ErrorOutputSerializer, error_responses
from elicitation import selectors, services
from elicitation.identity import (
    LINK_HEADER,
    TOKEN_HEADER,
    TOKEN_META,
    Identity,
    anon_token_from,
    find_participant,
    link_proof,
    may_carry_xid,
    sign_token,
    unsign_for_space_id,
)
from elicitation.models import (
    ARGUMENT_MAX_LENGTH,
    Argument,
    Comparison,
    Flag,
    ModerationStatus,
    Space,
    Statement,
)
from elicitation.throttles import ParticipantFixedWindowThrottle, ParticipantScopedThrottle
from elicitation.vote_lane import plain_vote, token_vote_body

T = TypeVar("T")

# --- errors and documentation -------------------------------------------------


class FieldErrorsOutputSerializer(serializers.Serializer):
    """Validation errors: one list of messages per field that was wrong."""

    some_field = serializers.ListField(
        child=serializers.CharField(), help_text="Messages for the field named by the key."
    )


class DuplicateOutputSerializer(serializers.Serializer):
    text = serializers.ListField(child=serializers.CharField())
    duplicate_of = serializers.DictField(help_text="{number, text, url} of the existing statement")


# Where the participant API says more than the shared table.
_SPECIFIC_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(FieldErrorsOutputSerializer, "Bad input: messages per field."),
    403: OpenApiResponse(
        ErrorOutputSerializer, "Your role does not allow this, or the activity is off."
    ),
    404: OpenApiResponse(
        ErrorOutputSerializer,
        "No such space, or you may not see it (in a private community, a link space "
        "needs X-Space-Link or X-Participant-Token from non-members).",
    ),
    409: OpenApiResponse(
        ErrorOutputSerializer, "The space is closed, not open yet or outside its schedule."
    ),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, specific=_SPECIFIC_ERRORS)


TOKEN_PARAMETER = OpenApiParameter(
    name=TOKEN_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Anonymous participation in spaces open to anyone with the link: the token "
        "returned in this header by your first write (or by POST .../participants/). "
        "Logged-in users do not need it. In a private community it also proves you "
        "came through the link, in place of X-Space-Link."
    ),
)

LINK_PARAMETER = OpenApiParameter(
    name=LINK_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The link token of a space open to anyone with the link (the <token> of its "
        "/j/<token>/ URL). Needed, in a private community, by non-members who hold no "
        "X-Participant-Token of the space yet (typically on POST .../participants/); "
        "without it the space answers 404. Members and public communities do not need it."
    ),
)

# For every endpoint a non-member may reach in a link space.
ACCESS_PARAMETERS = [TOKEN_PARAMETER, LINK_PARAMETER]


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The space does not accept this now."


class Forbidden(APIException):
    status_code = status.HTTP_403_FORBIDDEN


def _call(fn: Callable[..., T], **kwargs: Any) -> T:
    """Run a service, turning its rule violations into API errors (nothing was written)."""
    try:
        return fn(**kwargs)
    except services.DuplicateStatement as exc:
        existing = exc.existing
        raise DuplicateError(
            {
                "text": exc.message_dict["text"],
                "duplicate_of": {
                    "number": existing.number,
                    "text": existing.text,
                    "url": reverse(
                        "elicitation:statement",
                        kwargs={"space_id": existing.space_id, "number": existing.number},
                    ),
                },
            }
        ) from None
    except services.Refused as exc:
        if exc.status == 403:
            raise Forbidden(exc.message) from None
        raise Conflict(exc.message) from None
    except DjangoValidationError as exc:
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise serializers.ValidationError(detail) from None


class DuplicateError(APIException):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, detail: dict[str, Any]) -> None:
        # Keep the structure (field messages plus the pointer) as given.
        super().__init__()
        self.detail = detail


# --- base classes -----------------------------------------------------------------


class SpaceApi(APIView):
    permission_classes = [AllowAny]  # access is decided by the selectors, per space
    throttle_classes = [ParticipantScopedThrottle]
    throttle_scope = "space_reads"

    def space(self, request: Request, space_id: int, action: Action = Action.VIEW) -> Space:
        if action in (Action.CREATE_SPACE, Action.MODERATE) and not request.user.is_authenticated:
            raise NotAuthenticated()
        return selectors.space_get_for_user(
            user=request.user,
            space_id=space_id,
            action=action,
            link=link_proof(request._request, space_id),
        )

    def identity(self, request: Request, space: Space) -> Identity:
        xid = request.data.get("xid") if isinstance(request.data, dict) else None
        if xid is not None and not isinstance(xid, str):
            raise serializers.ValidationError({"xid": ["An external id is a string."]})
        return Identity(request._request, space, xid=xid or None)


# --- spaces -----------------------------------------------------------------------


class SpaceOutputSerializer(serializers.ModelSerializer):
    community: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    accepts_input = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Space
        fields = [
            "id",
            "community",
            "title",
            "slug",
            "question",
            "description",
            "phase",
            "opens_at",
            "closes_at",
            "accepts_input",
            "statements_enabled",
            "pairwise_enabled",
            "ranking_enabled",
            "debate_enabled",
            "moderation",
            "participation",
            "ranking_size",
            "url",
            "created_at",
        ]

    def get_accepts_input(self, space: Space) -> bool:
        return space.accepts_input()

    def get_url(self, space: Space) -> str:
        return space.get_absolute_url()


class SpaceInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    slug = serializers.SlugField(max_length=80)
    question = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=6000, required=False, allow_blank=True)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    statements_enabled = serializers.BooleanField(required=False)
    pairwise_enabled = serializers.BooleanField(required=False)
    ranking_enabled = serializers.BooleanField(required=False)
    debate_enabled = serializers.BooleanField(required=False)
    moderation = serializers.ChoiceField(choices=Space.Moderation.choices, required=False)
    participation = serializers.ChoiceField(choices=Space.Participation.choices, required=False)
    ranking_size = serializers.IntegerField(min_value=2, max_value=20, required=False)


class SpaceListCreateApi(SpaceApi):
    """Spaces of a community: list them (drafts only for facilitators) or create one."""

    pagination_class = LimitOffsetPagination  # the schema shows the list is paged

    @extend_schema(
        operation_id="spaces_list",
        responses={200: SpaceOutputSerializer(many=True), **_errors(404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_for_user(user=request.user, slug=slug)
        spaces = selectors.space_list_for_user(user=request.user, community=community)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(spaces, request, view=self)
        return paginator.get_paginated_response(SpaceOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="spaces_create",
        request=SpaceInputSerializer,
        responses={201: SpaceOutputSerializer, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str) -> Response:
        self.throttle_scope = "space_writes"
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        community = selectors.community_get_for_user(
            user=request.user, slug=slug, action=Action.CREATE_SPACE
        )
        data = SpaceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        space = _call(
            services.space_create, community=community, actor=request.user, **data.validated_data
        )
        return Response(SpaceOutputSerializer(space).data, status=status.HTTP_201_CREATED)


class SpaceDetailUpdateApi(SpaceApi):
    """One space: read it, or change its settings (facilitators)."""

    @extend_schema(
        operation_id="spaces_retrieve",
        parameters=ACCESS_PARAMETERS,
        responses={200: SpaceOutputSerializer, **_errors(404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        return Response(SpaceOutputSerializer(self.space(request, space_id)).data)

    @extend_schema(
        operation_id="spaces_update",
        request=SpaceInputSerializer(partial=True),
        responses={200: SpaceOutputSerializer, **_errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.CREATE_SPACE)
        data = SpaceInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _call(services.space_update, space=space, actor=request.user, **data.validated_data)
        return Response(SpaceOutputSerializer(space).data)


class SpacePhaseApi(SpaceApi):
    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        phase = serializers.ChoiceField(choices=Space.Phase.choices)
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="spaces_phase",
        request=InputSerializer,
        responses={200: SpaceOutputSerializer, **_errors(400, 401, 403, 404, 429)},
        description="Open, close or return a space to draft; logged in the decision log. "
        "Closing requests a final analysis.",
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.CREATE_SPACE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _call(
            services.space_set_phase,
            space=space,
            phase=data.validated_data["phase"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(SpaceOutputSerializer(space).data)


# --- participants --------------------------------------------------------------------


class ParticipantOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Your per-space participant number.")
    token = serializers.CharField(
        allow_blank=True,
        help_text="Anonymous participants: send this in the X-Participant-Token header.",
    )


class ParticipantJoinApi(SpaceApi):
    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="participants_join",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            200: ParticipantOutputSerializer,
            201: ParticipantOutputSerializer,
            **_errors(400, 403, 404, 429),
        },
        description="Join the space (or find your participant again). Anonymous clients get "
        "a participant token to send back in the X-Participant-Token header. In a private "
        "community, non-members join with the link token in X-Space-Link; the participant "
        "token then stands for it on later requests (logged-in non-members and xid clients, "
        "who get no participant token, keep sending X-Space-Link).",
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        identity = self.identity(request, space)
        existed = (
            selectors.participant_find(
                space=space,
                user=request.user,
                anon_token=anon_token_from(request._request, space),
                xid=identity.xid,
            )
            is not None
        )
        participant = _call(identity.participant)
        raw = identity.new_token or (
            participant.anon_token and anon_token_from(request._request, space)
        )
        token = sign_token(space, raw) if raw else ""
        response = Response(
            {"number": participant.number, "token": token},
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
        identity.attach(response)
        return response


# --- statements --------------------------------------------------------------------


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
                {"status": [f"Use one of {', '.join(ModerationStatus.values)}."]}
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
                DuplicateOutputSerializer,
                "A duplicate (with a pointer to the existing statement), or the space is closed.",
            ),
        },
        description="10 to 280 characters after trimming. Pending under pre-moderation. "
        "Moderators may send seed=true (and is_meta) to add seed statements.",
    )
    def post(self, request: Request, space_id: int) -> Response:
        self.throttle_scope = "space_writes"
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["seed"] or v["is_meta"]:
            space = self.space(request, space_id, Action.MODERATE)
            if not v["seed"]:
                raise serializers.ValidationError(
                    {"is_meta": ["Only seed statements set is_meta."]}
                )
            statement = _call(
                services.statement_seed,
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
        participant = _call(identity.participant)
        statement = _call(
            services.statement_propose,
            space=space,
            participant=participant,
            text=data.validated_data["text"],
        )
        response = Response(
            StatementOutputSerializer(statement).data, status=status.HTTP_201_CREATED
        )
        identity.attach(response)
        return response


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
        statement = _call(
            services.statement_moderate,
            statement=statement,
            actor=request.user,
            decision=data.validated_data["decision"],
            reason=data.validated_data.get("reason", ""),
            is_meta=data.validated_data.get("is_meta"),
        )
        return Response(StatementOutputSerializer(statement).data)


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
        result = selectors.latest_analysis_result(space=space)
        statement = selectors.statement_next(space=space, participant=participant, result=result)
        progress = selectors.vote_progress(space=space, participant=participant)
        return Response(
            {
                "statement": StatementOutputSerializer(statement).data if statement else None,
                "voted": progress.voted,
                "total": progress.total,
            }
        )


# --- votes ---------------------------------------------------------------------------


class VoteCastApi(SpaceApi):
    """Cast or change a vote. Contract: {"statement": <number>, "value": 1|-1|0, "xid"?}."""

    # Votes and comparisons share the "space_votes" budget, counted cheaply.
    throttle_classes = [ParticipantFixedWindowThrottle]
    # JSON only: the hottest endpoint skips negotiating the browsable API
    # (about 5% of a vote's app CPU in the profile); it has nothing to browse.
    renderer_classes = [JSONRenderer]
    throttle_scope = "space_votes"

    class InputSerializer(serializers.Serializer):
        statement = serializers.IntegerField(help_text="The statement's number in this space.")
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
        participant = _call(identity.participant)
        outcome = _call(
            services.vote_cast,
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


# --- pairwise and ranking ------------------------------------------------------------


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
        space = self.space(request, space_id)
        if not space.pairwise_enabled:
            raise Forbidden("Pairwise comparison is switched off in this space.")
        pair = selectors.pair_next(
            space=space, participant=find_participant(request._request, space)
        )
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
        statement_a = serializers.IntegerField()
        statement_b = serializers.IntegerField()
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
        participant = _call(identity.participant)
        v = data.validated_data
        comparison, created = _call(
            services.comparison_record,
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

    class InputSerializer(serializers.Serializer):
        statements = serializers.ListField(
            child=serializers.IntegerField(), allow_empty=False, max_length=20
        )
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
        space = self.space(request, space_id)
        ballot = selectors.ranking_for(participant=find_participant(request._request, space))
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
        self.throttle_scope = "space_writes"
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = self.identity(request, space)
        participant = _call(identity.participant)
        _call(
            services.ranking_submit,
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


# --- debate and flags ------------------------------------------------------------------


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

    pagination_class = LimitOffsetPagination  # the schema shows the list is paged

    class InputSerializer(serializers.Serializer):
        stance = serializers.ChoiceField(choices=Argument.Stance.choices)
        text = serializers.CharField(max_length=ARGUMENT_MAX_LENGTH * 2)
        parent = serializers.IntegerField(required=False, allow_null=True)  # type: ignore[assignment]
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
        self.throttle_scope = "space_writes"
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
                    {"parent": ["No such argument on this statement."]}
                )
        identity = self.identity(request, space)
        participant = _call(identity.participant)
        argument, created = _call(
            services.argument_post,
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
    throttle_scope = "space_writes"

    @extend_schema(
        operation_id="flags_list",
        responses={200: FlagOutputSerializer(many=True), **_errors(401, 403, 404, 429)},
        description="Open reports, oldest first (moderators).",
    )
    def get(self, request: Request, space_id: int) -> Response:
        self.throttle_scope = "space_reads"
        space = self.space(request, space_id, Action.MODERATE)
        flags = selectors.moderation_queue(space=space)["flags"]
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(flags, request, view=self)
        return paginator.get_paginated_response(FlagOutputSerializer(page, many=True).data)

    class InputSerializer(serializers.Serializer):
        statement = serializers.IntegerField(required=False, help_text="A statement number.")
        argument = serializers.IntegerField(required=False, help_text="An argument id.")
        reason = serializers.CharField(max_length=500)
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("statement" in attrs) == ("argument" in attrs):
                raise serializers.ValidationError("Give either a statement or an argument.")
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
        participant = _call(identity.participant)
        flag, created = _call(
            services.flag_create,
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
        flag = _call(
            services.flag_dismiss,
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
        argument = _call(
            services.argument_moderate,
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


def _name_nested_serializers() -> None:
    """Give each view's nested Input/OutputSerializer its own OpenAPI component name."""
    for view in list(globals().values()):
        if isinstance(view, type) and issubclass(view, APIView) and view.__name__.endswith("Api"):
            for kind in ("InputSerializer", "OutputSerializer"):
                nested = view.__dict__.get(kind)
                if nested is not None:
                    meta = type("Meta", (), {"ref_name": view.__name__[:-3] + kind[:-10]})
                    nested.Meta = meta


_name_nested_serializers()
