"""Spaces API: list, create, read, edit, open/close, and joining as a participant."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from config.pagination import LimitOffsetPagination
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    SpaceApi,
    _errors,
    name_nested_serializers,
)
from elicitation.identity import anon_token_from, sign_token
from elicitation.models import Space


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
            "min_voters",
            "url",
            "created_at",
        ]

    def get_accepts_input(self, space: Space) -> bool:
        return selectors.takes_input(space)

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
    min_voters = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        help_text="A statement fewer people voted on is listed in the value profile as "
        "'too few votes to say', never ranked among the values (default 5).",
    )


class SpaceListCreateApi(SpaceApi):
    """Spaces of a community: list them (drafts only for facilitators) or create one."""

    throttle_scopes = {"POST": "space_writes"}

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
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        community = selectors.community_get_for_user(
            user=request.user, slug=slug, action=Action.CREATE_SPACE
        )
        data = SpaceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        space = services.space_create(
            community=community, actor=request.user, **data.validated_data
        )
        return Response(SpaceOutputSerializer(space).data, status=status.HTTP_201_CREATED)


class SpaceDetailUpdateApi(SpaceApi):
    """One space: read it, or change its settings (facilitators)."""

    throttle_scopes = {"PATCH": "space_writes"}

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
        services.space_update(space=space, actor=request.user, **data.validated_data)
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
        services.space_set_phase(
            space=space,
            phase=data.validated_data["phase"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(SpaceOutputSerializer(space).data)


class ParticipantOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Your per-space participant number.")
    token = serializers.CharField(
        allow_blank=True,
        help_text="Anonymous participants: send this in the X-Participant-Token header.",
    )


class ParticipantJoinApi(SpaceApi):
    throttle_scope = "space_writes"
    accepts_expired_participant_token = True

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
        participant = identity.participant()
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


name_nested_serializers(globals())
