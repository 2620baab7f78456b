"""Admin views for support work: what was sent to whom, and who refused what."""

from django.contrib import admin

from notifications.models import EmailOptOut, NotificationPreference, SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "target", "email", "language", "status", "attempts"]
    list_filter = ["kind", "status"]
    search_fields = ["email", "target"]
    raw_id_fields = ["user"]
    # A record of what happened: not edited by hand (a pending row would be sent).
    readonly_fields = [f.name for f in SentEmail._meta.fields]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "spaces", "profiles", "moderation", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(EmailOptOut)
class EmailOptOutAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at"]
    search_fields = ["email"]
