"""Forms parse and validate input; the services make the changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities import ratelimit
from communities.models import ApiToken, Community, SegmentQuestion
from communities.roles import Role, role_may_assign
from communities.services import MAX_INVITATION_USES


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        help_text="Used only to reset a lost password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this e-mail address already exists.")
        return email


class LoginLimitMixin:
    """Refuses further tries after too many failures (communities.ratelimit)."""

    locked_out = False
    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = ratelimit.client_address(self.request)
        reason = ratelimit.login_lock_reason(username, address)
        if reason is not None:
            self.locked_out = True
            raise ValidationError(reason, code="locked")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except ValidationError:
            ratelimit.login_failed(username, address)
            raise
        ratelimit.login_succeeded(username, address)
        return cleaned


class RateLimitedAuthenticationForm(LoginLimitMixin, AuthenticationForm):
    """Django's log-in form, refusing further tries after too many failures."""


class RateLimitedAdminAuthenticationForm(LoginLimitMixin, AdminAuthenticationForm):
    """The admin's log-in form, under the same limits (it bypassed them)."""


class CommunityForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        required=False,
        label="Address",
        help_text="The part after /c/ in the community's address: lowercase letters, digits "
        "and hyphens. Left empty, it is made from the name.",
    )
    description = forms.CharField(widget=forms.Textarea, required=False, max_length=4000)
    visibility = forms.ChoiceField(
        choices=Community.Visibility.choices,
        initial=Community.Visibility.PUBLIC,
        help_text="Private communities are seen only by their members, who join by invitation.",
    )


def _role_choices(actor_role: str | None) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role if role_may_assign(actor_role, r.value)]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=7,
        required=False,
        label="Expires after (days)",
        help_text="Leave empty for a link that never expires.",
    )
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=MAX_INVITATION_USES,
        required=False,
        label="Maximum number of uses",
        help_text="Leave empty for no limit.",
    )
    email = forms.EmailField(
        required=False,
        label=_("E-mail the link to (optional)"),
        help_text=_(
            "We send the invitation to this address; leave empty to share the link yourself."
        ),
    )

    def __init__(self, *args: Any, actor_role: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only the roles this person may hand out; the service checks again.
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = _role_choices(actor_role)

    def expires_at(self) -> Any:
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + timedelta(days=days) if days else None


class SegmentQuestionForm(forms.Form):
    label = forms.CharField(max_length=120, label="Question", help_text="For example: Region")
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One choice per line, for example one age band per line.",
    )

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class SegmentAnswersForm(forms.Form):
    """One optional select per question; empty means "prefer not to say"."""

    def __init__(
        self,
        *args: Any,
        questions: list[SegmentQuestion],
        initial_answers: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.ChoiceField(
                label=question.label,
                choices=[("", "Prefer not to say"), *[(c, c) for c in question.choices]],
                required=False,
                initial=initial_answers.get(question.pk, ""),
            )

    def answers(self) -> dict[int, str | None]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") or None for q in self.questions}


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [
        ("", "Never"),
        ("7", "In 7 days"),
        ("30", "In 30 days"),
        ("90", "In 90 days"),
        ("365", "In a year"),
    ]

    name = forms.CharField(
        max_length=80, label="Token name", help_text="What will use it, e.g. “nightly export”."
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ_WRITE,
        required=False,  # a form without the field (older clients) gets read and write
        label="Scope",
        help_text="A read-only token can fetch data but never change anything.",
    )
    expires_in = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label="Expires",
    )

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or ApiToken.Scope.READ_WRITE

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=days) if days else None
