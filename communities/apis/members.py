"""Members API: list, change role, remove, ban, unban."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities import selectors, services
from communities.apis.common import ServiceApi, _errors, _paginate
from communities.apis.communities import MembershipOutput
from communities.roles import Action, Role, role_allows
from config.pagination import LimitOffsetPagination


class MemberListApi(ServiceApi):
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="members_list",
        summary="Members of a community (members only; managers also see banned ones)",
        responses={200: MembershipOutput(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        membership = selectors.membership_for(user=request.user, community=community)
        include_banned = role_allows(membership.role if membership else None, Action.MANAGE_MEMBERS)
        members = selectors.community_members(
            user=request.user, community=community, include_banned=include_banned
        )
        return _paginate(self, request, members, MembershipOutput)


class MemberDetailApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "MemberRoleInput"

        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(
        operation_id="members_change_role",
        summary="Change a member's role (owners, facilitators; never above your own)",
        request=InputSerializer,
        responses={200: MembershipOutput, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def patch(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request.user,
            community=community,
            membership_id=membership_id,
            role=data.validated_data["role"],
        )
        return Response(MembershipOutput(membership).data)

    @extend_schema(
        operation_id="members_remove",
        summary="Remove a member (they may rejoin a public community)",
        responses={204: None, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def delete(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        services.membership_remove(
            actor=request.user, community=community, membership_id=membership_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberBanApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="members_ban",
        summary="Ban a member (no access, no rejoining, not even by invitation)",
        request=None,
        responses={200: MembershipOutput, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        membership = services.membership_ban(
            actor=request.user, community=community, membership_id=membership_id
        )
        return Response(MembershipOutput(membership).data)


class MemberUnbanApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="members_unban",
        summary="Lift a ban (the person may then rejoin like anyone else)",
        request=None,
        responses={204: None, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        services.membership_unban(
            actor=request.user, community=community, membership_id=membership_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
