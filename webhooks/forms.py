"""The owners' form to register a webhook endpoint (the service checks everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import Event


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label=_("Endpoint URL"),
        help_text=_("An https:// address of your server that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/hooks/polyphony"}),
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Events"),
        initial=[Event.PROFILE_PUBLISHED.value],
        error_messages={"required": _("Choose at least one event.")},
    )

    def service_fields(self) -> dict[str, Any]:
        return {"url": self.cleaned_data["url"], "events": list(self.cleaned_data["events"])}
