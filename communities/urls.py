from django.urls import path

from communities import views

app_name = "communities"

urlpatterns = [
    path("communities/new/", views.community_create, name="create"),
    path("c/<slug:slug>/", views.community_detail, name="detail"),
    path("c/<slug:slug>/edit/", views.community_edit, name="edit"),
    path("c/<slug:slug>/join/", views.community_join, name="join"),
    path("c/<slug:slug>/leave/", views.community_leave, name="leave"),
    path("c/<slug:slug>/members/", views.members, name="members"),
    path("c/<slug:slug>/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "c/<slug:slug>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("c/<slug:slug>/members/<int:membership_id>/ban/", views.member_ban, name="member_ban"),
    path(
        "c/<slug:slug>/members/<int:membership_id>/unban/",
        views.member_unban,
        name="member_unban",
    ),
    path("c/<slug:slug>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("c/<slug:slug>/segments/", views.segments, name="segments"),
    path(
        "c/<slug:slug>/segments/<int:question_id>/delete/",
        views.segment_delete,
        name="segment_delete",
    ),
    path("c/<slug:slug>/my-answers/", views.segment_answers, name="answers"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation"),
]
