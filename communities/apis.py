"""REST API of the communities app (mounted under /api/v1/).

Each view parses with an InputSerializer, checks access through a selector,
calls one service and shapes the answer with an OutputSerializer. Permission
rules live in the services and selectors (roles.py), never here.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from communities import selectors, services
from communities.models import Community, Invitation, Membership, SegmentQuestion
from communities.roles import Action, Role, role_allows
from config.api_errors import ErrorOutputSerializer, error_responses

# --- errors ----------------------------------------------------------------------

ErrorOutput = ErrorOutputSerializer
InvitationErrorOutput = inline_serializer(
    "InvitationUnusable",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.ChoiceField(choices=["revoked", "expired", "used_up"]),
    },
)

# Where the communities API says more than the shared table.
_SPECIFIC_ERRORS: dict[int, OpenApiResponse] = {
    403: OpenApiResponse(
        ErrorOutput,
        description="Your role does not allow this (or you are not authenticated for a write).",
    ),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, specific=_SPECIFIC_ERRORS)


class ServiceApi(APIView):
    """Turns the services' exceptions into API answers: Django's ValidationError
    into 400 (field errors when a field is at fault) and an unusable invitation
    into 410. DRF already maps PermissionDenied to 403 and Http404 to 404."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.InvitationUnusable):
            return Response({"detail": exc.message, "code": exc.reason}, status=410)
        if isinstance(exc, DjangoValidationError):
            if hasattr(exc, "error_dict"):
                detail: Any = {
                    ("detail" if field == "__all__" else field): messages
                    for field, messages in exc.message_dict.items()
                }
            else:
                detail = {"detail": " ".join(exc.messages)}
            exc = ValidationError(detail)
        return super().handle_exception(exc)


def _paginate(
    view: APIView, request: Request, items: Any, serializer: type[serializers.Serializer[Any]]
) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated ran before
    return user


# --- communities --------------------------------------------------------------------


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
        community, _ = selectors.community_get_for_action(
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
            **_errors(401, 403, 404, 429),
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
            **_errors(401, 403, 404, 429),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        services.membership_leave(user=request.user, community=community)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- members -------------------------------------------------------------------------


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
        responses={200: MembershipOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
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
        responses={204: None, **_errors(400, 401, 403, 404, 429)},
    )
    def delete(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
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
        responses={200: MembershipOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
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
        responses={204: None, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str, membership_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        services.membership_unban(
            actor=request.user, community=community, membership_id=membership_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- invitations ---------------------------------------------------------------------


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
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            actor=request.user, community=community, **data.validated_data
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
        responses={200: InvitationOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str, invitation_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_MEMBERS
        )
        invitation = services.invitation_revoke(
            actor=request.user, community=community, invitation_id=invitation_id
        )
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


# --- segments ------------------------------------------------------------------------


class SegmentQuestionOutput(serializers.Serializer[SegmentQuestion]):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField())
    position = serializers.IntegerField()


class SegmentQuestionListCreateApi(ServiceApi):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "SegmentQuestionCreateInput"

        label = serializers.CharField(max_length=120)  # type: ignore[assignment]
        choices = serializers.ListField(
            child=serializers.CharField(max_length=120),
            min_length=2,
            max_length=services.MAX_SEGMENT_CHOICES,
        )

    @extend_schema(
        operation_id="segment_questions_list",
        summary="The community's optional segment questions",
        responses={200: SegmentQuestionOutput(many=True), **_errors(404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        questions = selectors.segment_questions(community=community)
        return Response(SegmentQuestionOutput(cast(Any, questions), many=True).data)

    @extend_schema(
        operation_id="segment_questions_create",
        summary="Add a segment question (owners, facilitators)",
        request=InputSerializer,
        responses={201: SegmentQuestionOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, slug: str) -> Response:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.segment_question_create(
            actor=request.user, community=community, **data.validated_data
        )
        return Response(SegmentQuestionOutput(question).data, status=status.HTTP_201_CREATED)


class SegmentQuestionDeleteApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="segment_questions_delete",
        summary="Delete a segment question and every answer to it",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, slug: str, question_id: int) -> Response:
        community, _ = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        services.segment_question_delete(
            actor=request.user, community=community, question_id=question_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    choice = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="Null or empty removes your answer."
    )


class MyAnswersApi(ServiceApi):
    """Only ever your own answers: no endpoint returns another person's."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "MyAnswersInput"

        answers = AnswerSerializer(many=True)

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "MyAnswers"

        answers = AnswerSerializer(many=True)

    def _output(self, answers: dict[int, str]) -> dict[str, Any]:
        rows = [{"question": q, "choice": c} for q, c in sorted(answers.items())]
        return self.OutputSerializer({"answers": rows}).data

    @extend_schema(
        operation_id="my_answers_retrieve",
        summary="Your own answers to the community's segment questions",
        responses={200: OutputSerializer, **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        if selectors.membership_for(user=request.user, community=community) is None:
            self.permission_denied(request, message="Only members answer the questions.")
        return Response(
            self._output(selectors.segment_answers_of(user=request.user, community=community))
        )

    @extend_schema(
        operation_id="my_answers_update",
        summary="Set your answers (questions not listed keep their answer)",
        request=InputSerializer,
        responses={200: OutputSerializer, **_errors(400, 401, 403, 404, 429)},
    )
    def put(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {row["question"]: row["choice"] or None for row in data.validated_data["answers"]}
        result = services.segment_answers_set(
            user=request.user, community=community, answers=answers
        )
        return Response(self._output(result))


# --- tokens ----------------------------------------------------------------------------


class TokenOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOutput(TokenOutput):
    key = serializers.CharField(help_text="The full key. Shown only in this response.")


class TokenListCreateApi(ServiceApi):
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "TokenCreateInput"

        name = serializers.CharField(max_length=80)

    @extend_schema(
        operation_id="tokens_list",
        summary="Your API tokens (keys are never shown again)",
        responses={200: TokenOutput(many=True), **_errors(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return _paginate(self, request, selectors.api_tokens_of(user=_user(request)), TokenOutput)

    @extend_schema(
        operation_id="tokens_create",
        summary="Create an API token; the response holds its key, once",
        request=InputSerializer,
        responses={201: TokenCreatedOutput, **_errors(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            user=_user(request), name=data.validated_data["name"]
        )
        body = {**TokenOutput(token).data, "key": key}
        return Response(
            TokenCreatedOutput(body).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class TokenRevokeApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="tokens_revoke",
        summary="Revoke one of your tokens",
        responses={200: TokenOutput, **_errors(400, 401, 403, 404, 429)},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
        return Response(TokenOutput(token).data)
