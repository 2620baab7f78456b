from django.urls import path

from communities.views import communities, invitations, members, segments

app_name = "communities"

urlpatterns = [
    path("communities/new/", communities.community_create, name="create"),
    path("c/<slug:slug>/", communities.community_detail, name="detail"),
    path("c/<slug:slug>/edit/", communities.community_edit, name="edit"),
    path("c/<slug:slug>/join/", communities.community_join, name="join"),
    path("c/<slug:slug>/leave/", communities.community_leave, name="leave"),
    path("c/<slug:slug>/members/", members.members, name="members"),
    path(
        "c/<slug:slug>/members/<int:membership_id>/role/", members.member_role, name="member_role"
    ),
    path(
        "c/<slug:slug>/members/<int:membership_id>/remove/",
        members.member_remove,
        name="member_remove",
    ),
    path("c/<slug:slug>/members/<int:membership_id>/ban/", members.member_ban, name="member_ban"),
    path(
        "c/<slug:slug>/members/<int:membership_id>/unban/",
        members.member_unban,
        name="member_unban",
    ),
    path("c/<slug:slug>/invitations/", invitations.invitation_create, name="invitation_create"),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("c/<slug:slug>/segments/", segments.segments, name="segments"),
    path(
        "c/<slug:slug>/segments/<int:question_id>/delete/",
        segments.segment_delete,
        name="segment_delete",
    ),
    path("c/<slug:slug>/my-answers/", segments.segment_answers, name="answers"),
    path("invite/<str:token>/", invitations.invitation_accept, name="invitation"),
]
