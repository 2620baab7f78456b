"""Admin views for support work. Segment answers are deliberately not
registered: an individual's answers are never shown to anyone but them."""

from django.contrib import admin

from communities.forms import RateLimitedAdminAuthenticationForm
from communities.models import ApiToken, Community, Invitation, Membership, SegmentQuestion

# /admin/login/ under the site's log-in limits (it was a way around them).
admin.site.login_form = RateLimitedAdminAuthenticationForm


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "status", "joined_at"]
    list_filter = ["role", "status"]
    list_select_related = ["user", "community"]
    raw_id_fields = ["user", "community"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["community", "role", "uses", "max_uses", "expires_at", "revoked_at"]
    list_select_related = ["community"]
    readonly_fields = ["token", "uses"]


@admin.register(SegmentQuestion)
class SegmentQuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "community", "position"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]
    list_select_related = ["user"]
