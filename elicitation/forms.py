"""Forms parse and label browser input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from elicitation.models import Space, VoteValue
from elicitation.services import SPACE_FIELDS
from elicitation.services.common import statement_number_in_range


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


# Statement numbers and votes arrive from pages as text; these forms turn them
# into the whole numbers the services take, with the messages the API's
# serializers give for the same mistakes (the services receive typed values).


def _whole_number(raw: Any) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def statement_number_clean(raw: Any, *, missing: str) -> int:
    """A statement number from a form field, or ValidationError (`missing` when it is no number)."""
    number = _whole_number(raw)
    if number is None:
        raise forms.ValidationError(missing)
    if not statement_number_in_range(number):
        raise forms.ValidationError(
            gettext("There is no statement #%(number)s here.") % {"number": number}
        )
    return number


class VoteForm(forms.Form):
    """The vote card: a statement number and 1, -1 or 0."""

    statement = forms.CharField(required=False)
    value = forms.CharField(required=False)

    def clean_statement(self) -> int:
        return statement_number_clean(
            self.cleaned_data.get("statement"), missing=gettext("Give the statement's number.")
        )

    def clean_value(self) -> int:
        value = _whole_number(self.cleaned_data.get("value"))
        if value not in VoteValue.values:
            raise forms.ValidationError(gettext("A vote is 1 (agree), -1 (disagree) or 0 (pass)."))
        assert value is not None
        return value


class ComparisonForm(forms.Form):
    """One pairwise answer: two statement numbers, the choice and an optional reason."""

    statement_a = forms.CharField(required=False)
    statement_b = forms.CharField(required=False)
    choice = forms.CharField(required=False)
    reason = forms.CharField(required=False, strip=False)

    def clean_statement_a(self) -> int:
        return statement_number_clean(
            self.cleaned_data.get("statement_a"), missing=gettext("Give a statement number.")
        )

    def clean_statement_b(self) -> int:
        return statement_number_clean(
            self.cleaned_data.get("statement_b"), missing=gettext("Give a statement number.")
        )


def ranking_numbers_clean(chosen: list[str]) -> list[int]:
    """The ballot's statement numbers, first choice first (blanks already left out)."""
    try:
        return [
            statement_number_clean(n, missing=gettext("Give a statement number.")) for n in chosen
        ]
    except forms.ValidationError as error:
        raise forms.ValidationError({"statements": error.messages}) from None


def form_input(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or its errors as one ValidationError keyed by field."""
    if not form.is_valid():
        raise forms.ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.cleaned_data
