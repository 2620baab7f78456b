"""Forms parse and validate input; the services make the changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities import ratelimit
from communities.models import ApiToken, Community, SegmentQuestion
from communities.roles import Role, role_may_assign
from communities.services import MAX_INVITATION_USES
from config.locale import time_zone_choices


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        help_text=_("Used only to reset a lost password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail address already exists."))
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
    name = forms.CharField(max_length=120, label=_("Name"))
    slug = forms.SlugField(
        max_length=60,
        required=False,
        label=_("Address"),
        help_text=_(
            "The part after /c/ in the community's address: lowercase letters, digits "
            "and hyphens. Left empty, it is made from the name."
        ),
    )
    description = forms.CharField(
        widget=forms.Textarea, required=False, max_length=4000, label=_("Description")
    )
    visibility = forms.ChoiceField(
        choices=Community.Visibility.choices,
        initial=Community.Visibility.PUBLIC,
        label=_("Visibility"),
        help_text=_("Private communities are seen only by their members, who join by invitation."),
    )


def _role_choices(actor_role: str | None) -> list[tuple[str, str | Promise]]:
    return [(r.value, r.label) for r in Role if role_may_assign(actor_role, r.value)]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label=_("Role"))
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=7,
        required=False,
        label=_("Expires after (days)"),
        help_text=_("Leave empty for a link that never expires."),
    )
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=MAX_INVITATION_USES,
        required=False,
        label=_("Maximum number of uses"),
        help_text=_("Leave empty for no limit."),
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
    label = forms.CharField(max_length=120, label=_("Question"), help_text=_("For example: Region"))
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Choices"),
        help_text=_("One choice per line, for example one age band per line."),
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
                choices=[("", _("Prefer not to say")), *[(c, c) for c in question.choices]],
                required=False,
                initial=initial_answers.get(question.pk, ""),
            )

    def answers(self) -> dict[int, str | None]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") or None for q in self.questions}


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [
        ("", pgettext_lazy("token expiry", "Never")),
        ("7", _("In 7 days")),
        ("30", _("In 30 days")),
        ("90", _("In 90 days")),
        ("365", _("In a year")),
    ]

    name = forms.CharField(
        max_length=80,
        label=_("Token name"),
        help_text=_("What will use it, e.g. “nightly export”."),
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ_WRITE,
        required=False,  # a form without the field (older clients) gets read and write
        label=pgettext_lazy("API token", "Scope"),
        help_text=_("A read-only token can fetch data but never change anything."),
    )
    expires_in = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label=pgettext_lazy("API token", "Expires"),
    )

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or ApiToken.Scope.READ_WRITE

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=days) if days else None


def _time_zone_choices() -> list[tuple[str, str | Promise]]:
    return [("", _("As my browser says")), *((name, name) for name in time_zone_choices())]


class AccountSettingsForm(forms.Form):
    language = forms.ChoiceField(
        choices=[("", _("As my browser says")), *settings.LANGUAGES],
        required=False,
        label=_("Language"),
        help_text=_("Used on every device where you are logged in."),
    )
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        required=False,
        label=_("Time zone"),
        help_text=_("Dates and times are shown in this time zone."),
    )
