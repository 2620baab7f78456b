"""REST API routes of the communities app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from communities.apis import communities, invitations, members, segments, tokens

urlpatterns: list[URLPattern | URLResolver] = [
    path("communities/", communities.CommunityListCreateApi.as_view(), name="api-communities"),
    path(
        "communities/<slug:slug>/", communities.CommunityDetailApi.as_view(), name="api-community"
    ),
    path(
        "communities/<slug:slug>/join/",
        communities.CommunityJoinApi.as_view(),
        name="api-community-join",
    ),
    path(
        "communities/<slug:slug>/leave/",
        communities.CommunityLeaveApi.as_view(),
        name="api-community-leave",
    ),
    path("communities/<slug:slug>/members/", members.MemberListApi.as_view(), name="api-members"),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/",
        members.MemberDetailApi.as_view(),
        name="api-member",
    ),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/ban/",
        members.MemberBanApi.as_view(),
        name="api-member-ban",
    ),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/unban/",
        members.MemberUnbanApi.as_view(),
        name="api-member-unban",
    ),
    path(
        "communities/<slug:slug>/invitations/",
        invitations.InvitationListCreateApi.as_view(),
        name="api-invitations",
    ),
    path(
        "communities/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        invitations.InvitationRevokeApi.as_view(),
        name="api-invitation-revoke",
    ),
    path(
        "invitations/<str:token>/accept/",
        invitations.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "communities/<slug:slug>/segment-questions/",
        segments.SegmentQuestionListCreateApi.as_view(),
        name="api-segment-questions",
    ),
    path(
        "communities/<slug:slug>/segment-questions/<int:question_id>/",
        segments.SegmentQuestionDeleteApi.as_view(),
        name="api-segment-question",
    ),
    path(
        "communities/<slug:slug>/my-answers/",
        segments.MyAnswersApi.as_view(),
        name="api-my-answers",
    ),
    path("me/tokens/", tokens.TokenListCreateApi.as_view(), name="api-tokens"),
    path("me/tokens/<int:token_id>/", tokens.TokenRevokeApi.as_view(), name="api-token"),
]
