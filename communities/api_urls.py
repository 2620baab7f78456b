"""REST API routes of the communities app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from communities import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("communities/", apis.CommunityListCreateApi.as_view(), name="api-communities"),
    path("communities/<slug:slug>/", apis.CommunityDetailApi.as_view(), name="api-community"),
    path(
        "communities/<slug:slug>/join/",
        apis.CommunityJoinApi.as_view(),
        name="api-community-join",
    ),
    path(
        "communities/<slug:slug>/leave/",
        apis.CommunityLeaveApi.as_view(),
        name="api-community-leave",
    ),
    path("communities/<slug:slug>/members/", apis.MemberListApi.as_view(), name="api-members"),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/",
        apis.MemberDetailApi.as_view(),
        name="api-member",
    ),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/ban/",
        apis.MemberBanApi.as_view(),
        name="api-member-ban",
    ),
    path(
        "communities/<slug:slug>/members/<int:membership_id>/unban/",
        apis.MemberUnbanApi.as_view(),
        name="api-member-unban",
    ),
    path(
        "communities/<slug:slug>/invitations/",
        apis.InvitationListCreateApi.as_view(),
        name="api-invitations",
    ),
    path(
        "communities/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        apis.InvitationRevokeApi.as_view(),
        name="api-invitation-revoke",
    ),
    path(
        "invitations/<str:token>/accept/",
        apis.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "communities/<slug:slug>/segment-questions/",
        apis.SegmentQuestionListCreateApi.as_view(),
        name="api-segment-questions",
    ),
    path(
        "communities/<slug:slug>/segment-questions/<int:question_id>/",
        apis.SegmentQuestionDeleteApi.as_view(),
        name="api-segment-question",
    ),
    path(
        "communities/<slug:slug>/my-answers/",
        apis.MyAnswersApi.as_view(),
        name="api-my-answers",
    ),
    path("me/tokens/", apis.TokenListCreateApi.as_view(), name="api-tokens"),
    path("me/tokens/<int:token_id>/", apis.TokenRevokeApi.as_view(), name="api-token"),
]
