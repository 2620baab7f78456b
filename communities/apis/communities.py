"""Communities API: list, create, read, edit, join, leave."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities import selectors, services
from communities.apis.common import ErrorOutput, ServiceApi, _errors, _paginate, _user
from communities.models import Community, Membership
from communities.roles import Action, Role
from config.pagination import LimitOffsetPagination


class CommunityOutput(serializers.Serializer[Community]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Community.Visibility.choices)
    created_at = serializers.DateTimeField()
    member_count = serializers.IntegerField()
    my_role = serializers.CharField(
        allow_null=True,
        help_text="Your active role (owner, facilitator, member, observer) or null.",
    )


def _communities_for(request: Request) -> QuerySet[Community]:
    queryset = selectors.community_list_visible(user=request.user)
    if request.user.is_authenticated:
        # One subquery instead of one membership query per row.
        role = Membership.objects.filter(
            community=OuterRef("pk"), user=request.user, status=Membership.Status.ACTIVE
        ).values("role")[:1]
        return queryset.annotate(my_role=Subquery(role))
    return queryset.annotate(my_role=Value(None, output_field=CharField()))


class CommunityListCreateApi(ServiceApi):
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CommunityCreateInput"

        name = serializers.CharField(max_length=120)
        slug = serializers.SlugField(
            max_length=60,
            required=False,
            allow_blank=True,
            help_text="Made from the name if empty.",
        )
        description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
        visibility = serializers.ChoiceField(
            choices=Community.Visibility.choices, default=Community.Visibility.PUBLIC
        )

    @extend_schema(
        operation_id="communities_list",
        summary="Communities you may see",
        description="Public communities, and private ones you are an active member of.",
        responses={200: CommunityOutput(many=True), **_errors(429)},
    )
    def get(self, request: Request) -> Response:
        return _paginate(self, request, _communities_for(request), CommunityOutput)

    @extend_schema(
        operation_id="communities_create",
        summary="Create a community (you become its owner)",
        request=InputSerializer,
        responses={201: CommunityOutput, **_errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        community = services.community_create(user=_user(request), **data.validated_data)
        return Response(
            CommunityOutput(_communities_for(request).get(pk=community.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CommunityDetailApi(ServiceApi):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CommunityUpdateInput"

        name = serializers.CharField(max_length=120, required=False)
        slug = serializers.SlugField(max_length=60, required=False)
        description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
        visibility = serializers.ChoiceField(choices=Community.Visibility.choices, required=False)

    @extend_schema(
        operation_id="communities_retrieve",
        summary="One community",
        responses={200: CommunityOutput, **_errors(404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        return Response(CommunityOutput(_communities_for(request).get(pk=community.pk)).data)

    @extend_schema(
        operation_id="communities_update",
        summary="Edit a community (owners)",
        request=InputSerializer,
        responses={200: CommunityOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, slug: str) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.EDIT_COMMUNITY
        )
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        community = services.community_update(
            actor=request.user, community=community, **data.validated_data
        )
        return Response(CommunityOutput(_communities_for(request).get(pk=community.pk)).data)


class MembershipOutput(serializers.Serializer[Membership]):
    id = serializers.IntegerField(help_text="Membership id, used in the member URLs.")
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=Membership.Status.choices)
    joined_at = serializers.DateTimeField()


class CommunityJoinApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="communities_join",
        summary="Join a public community as a member",
        request=None,
        responses={
            201: MembershipOutput,
            400: OpenApiResponse(ErrorOutput, description="Already a member."),
            **_errors(401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        membership = services.membership_join(user=request.user, community=community)
        return Response(MembershipOutput(membership).data, status=status.HTTP_201_CREATED)


class CommunityLeaveApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="communities_leave",
        summary="Leave a community",
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(ErrorOutput, description="Not a member, or the last owner."),
            **_errors(401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        services.membership_leave(user=request.user, community=community)
        return Response(status=status.HTTP_204_NO_CONTENT)
