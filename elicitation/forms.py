"""Forms parse and label browser input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from elicitation.languages import content_languages
from elicitation.models import Space
from elicitation.services import SPACE_FIELDS


class SpaceForm(forms.ModelForm):
    """Space settings; `save()` is never called (views pass cleaned_data to a service)."""

    class Meta:
        model = Space
        fields = list(SPACE_FIELDS)
        labels = {
            "slug": "Short name in links",
            "language": "Original language",
            "opens_at": "Opens at (optional, UTC)",
            "closes_at": "Closes at (optional, UTC)",
            "statements_enabled": "Statements and votes",
            "pairwise_enabled": "Pairwise comparison (“which matters more?”)",
            "ranking_enabled": "Ranking",
            "debate_enabled": "Debate (arguments for and against)",
            "moderation": "Moderation",
            "participation": "Who may take part",
            "ranking_size": "How many statements a ballot ranks (k)",
            "min_voters": "Fewest voters for a value to be ranked",
            "trust_unsigned_xids": "Trust unsigned xids from embedding sites",
            "embed_origins": "Sites that may embed this space",
        }
        help_texts = {
            "slug": "Letters, digits and hyphens; unique in the community.",
            "question": "The question participants answer with value statements.",
            "language": "What the title, question and statements are written in. Facilitators "
            "can add translations into the site's other languages; readers see theirs when it "
            "exists.",
            "min_voters": "A statement fewer people voted on is listed in the value profile "
            "as “too few votes to say”, never ranked among the values.",
            "trust_unsigned_xids": "Off: an embedding site must sign each xid with this "
            "space's secret (below, once the space exists). On: anyone who knows or guesses "
            "an xid can vote as that person.",
            "embed_origins": "One origin a line, such as https://city.example (scheme, host, "
            "optional port; no path), or * for any site. Only a space open to anyone with the "
            "link can be embedded. Empty: no site may embed it.",
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
        # Left out by older clients: the space keeps its language (a new one gets the site's).
        self.fields["language"] = forms.ChoiceField(
            choices=list(content_languages().items()),
            required=False,
            label=self.fields["language"].label,
            help_text=self.fields["language"].help_text,
        )

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
        for optional in ("min_voters", "language"):
            if fields.get(optional) in (None, ""):
                fields.pop(optional, None)
        return fields
