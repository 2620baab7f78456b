"""Forms parse and label browser input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from elicitation.models import Space
from elicitation.services import SPACE_FIELDS


class SpaceForm(forms.ModelForm):
    """Space settings; `save()` is never called (views pass cleaned_data to a service)."""

    class Meta:
        model = Space
        fields = list(SPACE_FIELDS)
        labels = {
            "title": _("Title"),
            "question": _("Question"),
            "description": _("Description"),
            "slug": _("Short name in links"),
            "opens_at": _("Opens at (optional, UTC)"),
            "closes_at": _("Closes at (optional, UTC)"),
            "statements_enabled": _("Statements and votes"),
            "pairwise_enabled": _("Pairwise comparison (“which matters more?”)"),
            "ranking_enabled": _("Ranking"),
            "debate_enabled": _("Debate (arguments for and against)"),
            "moderation": _("Moderation"),
            "participation": _("Who may take part"),
            "ranking_size": _("How many statements a ballot ranks (k)"),
            "min_voters": _("Fewest voters for a value to be ranked"),
            "trust_unsigned_xids": _("Trust unsigned xids from embedding sites"),
            "embed_origins": _("Sites that may embed this space"),
        }
        help_texts = {
            "slug": _("Letters, digits and hyphens; unique in the community."),
            "question": _("The question participants answer with value statements."),
            "min_voters": _(
                "A statement fewer people voted on is listed in the value profile "
                "as “too few votes to say”, never ranked among the values."
            ),
            "trust_unsigned_xids": _(
                "Off: an embedding site must sign each xid with this "
                "space's secret (below, once the space exists). On: anyone who knows or guesses "
                "an xid can vote as that person."
            ),
            "embed_origins": _(
                "One origin a line, such as https://city.example (scheme, host, "
                "optional port; no path), or * for any site. Only a space open to anyone with the "
                "link can be embedded. Empty: no site may embed it."
            ),
        }
        widgets = {
            "opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "moderation": forms.RadioSelect,
            "participation": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 4}),
            "embed_origins": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Older clients and scripts post the form without it: left out, the
        # space keeps its minimum (or gets the default of 5).
        self.fields["min_voters"].required = False

    def validate_unique(self) -> None:
        # The service runs full_clean (with the community set); the form alone
        # cannot check uniqueness per community.
        return None

    def _post_clean(self) -> None:
        # Skip ModelForm's instance construction and model validation: the
        # service owns those (it sets the community and calls full_clean).
        return None

    def service_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if fields.get("min_voters") is None:
            fields.pop("min_voters", None)
        return fields
