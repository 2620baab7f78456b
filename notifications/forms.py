from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationPreference, Topic


class PreferencesForm(forms.Form):
    spaces = forms.BooleanField(required=False, label=Topic.SPACES.label)
    profiles = forms.BooleanField(required=False, label=Topic.PROFILES.label)
    moderation = forms.BooleanField(
        required=False,
        label=Topic.MODERATION.label,
        help_text=_("Sent only to owners and facilitators, and only when something waits."),
    )

    @classmethod
    def for_preference(cls, preference: NotificationPreference) -> PreferencesForm:
        return cls(initial={name: preference.wants(name) for name in cls.base_fields})
