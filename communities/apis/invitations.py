"""Invitations API: list, create, revoke, accept."""

from __future__ import annotations

from typing import Any, cast

from django.urls import reverse
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities import selectors, services
from communities.apis.common import InvitationErrorOutput, ServiceApi, _errors
from communities.apis.communities import MembershipOutput
from communities.models import Invitation
from communities.roles import Action, Role
from config.pagination import LimitOffsetPagination


class InvitationOutput(serializers.Serializer[Invitation]):
    id = serializers.IntegerField()
    token = serializers.CharField()
    url = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    max_uses = serializers.IntegerField(allow_null=True)
    uses = serializers.IntegerField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField()

    def get_url(self, invitation: Invitation) -> str:
        path = reverse("communities:invitation", args=[invitation.token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(
        serializers.ChoiceField(choices=["usable", "revoked", "expired", "used_up"])
    )
    def get_state(self, invitation: Invitation) -> str:
        return services.invitation_problem(invitation) or "usable"


class InvitationListCreateApi(ServiceApi):
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "InvitationCreateInput"

        role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Null or absent: never expires."
        )
        max_uses = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=services.MAX_INVITATION_USES,
            help_text="Null or absent: no limit.",
        )
        email = serializers.EmailField(
            required=False,
            allow_blank=True,
            help_text="Also e-mail the link to this address (in the language of the request).",
        )

    @extend_schema(
        operation_id="invitations_list",
        summary="Invitations of a community (owners, facilitators)",
        responses={200: InvitationOutput(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        invitations = selectors.invitation_list(user=request.user, community=community)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(invitations, request, view=self)
        return paginator.get_paginated_response(
            InvitationOutput(cast(Any, page), many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="invitations_create",
        summary="Create an invitation link (role not above your own)",
        request=InputSerializer,
        responses={201: InvitationOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            actor=request.user,
            community=community,
            language=translation.get_language() or "",
            **data.validated_data,
        )
        return Response(
            InvitationOutput(invitation, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class InvitationRevokeApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="invitations_revoke",
        summary="Revoke an invitation: its link stops working",
        request=None,
        responses={200: InvitationOutput, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, slug: str, invitation_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        invitation = services.invitation_revoke(community=community, invitation_id=invitation_id)
        return Response(InvitationOutput(invitation, context={"request": request}).data)


class InvitationAcceptApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="invitations_accept",
        summary="Accept an invitation by its token",
        description="201 with the new membership; 200 with the existing one if you are "
        "already a member (the use is not counted).",
        request=None,
        responses={
            201: MembershipOutput,
            200: MembershipOutput,
            410: OpenApiResponse(InvitationErrorOutput, description="Revoked, expired or used up."),
            **_errors(401, 403, 404, 429),
        },
    )
    def post(self, request: Request, token: str) -> Response:
        membership, created = services.invitation_accept(user=request.user, token=token)
        return Response(
            MembershipOutput(membership).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
