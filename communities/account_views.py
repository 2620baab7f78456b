"""Account pages: sign up, log in (rate-limited), the account page (language, time
zone, API tokens) and the language switcher.

Log out, password change and password reset are Django's own views, wired in
account_urls.py with this project's templates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_ratelimit.decorators import ratelimit

from communities import selectors, services
from communities.forms import (
    AccountSettingsForm,
    ApiTokenForm,
    RateLimitedAuthenticationForm,
    SignUpForm,
)
from config.api_errors import http_status
from config.exceptions import ApplicationError
from config.locale import remember_preferences, valid_language
from notifications import services as notification_services
from notifications.forms import PreferencesForm


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
@ratelimit(
    group="signup", key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST"
)
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account and log in; `next` leads back (to an invitation, say)."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "accounts:account")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(username)s. Your account is ready.") % {"username": user.username},
            )
            return redirect(next_url or "accounts:account")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=status
    )


class RateLimitedLoginView(LoginView):
    form_class = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        # 429 when locked out (clients and tests can tell), 400 for a wrong password.
        response.status_code = 429 if getattr(form, "locked_out", False) else 400
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["signup_next"] = self.get_redirect_url()
        return context


def _account_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    saved = selectors.account_settings_of(user=user)
    return {
        "notification_form": PreferencesForm.for_preference(
            notification_services.preferences_get(user=user)
        ),
        "memberships": selectors.user_memberships(user=user),
        "tokens": selectors.api_tokens_of(user=user),
        "token_form": ApiTokenForm(),
        "settings_form": AccountSettingsForm(
            initial={"language": saved.language, "time_zone": saved.time_zone}
        ),
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/account.html", _account_context(request))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Creates a token and shows its key once, in this response only (no redirect:
    the key must not travel through the session or a message store)."""
    user = request.user
    assert isinstance(user, User)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            for field, errors in (
                error.message_dict.items()
                if hasattr(error, "error_dict")
                else [(None, error.messages)]
            ):
                form.add_error(field if field in form.fields else None, errors)
        else:
            response = render(
                request,
                "registration/account.html",
                _account_context(request, new_token=token, new_key=key),
                status=201,
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "registration/account.html",
        _account_context(request, token_form=form),
        status=400,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
    except ApplicationError as error:
        messages.error(request, error.message)
        return render(
            request,
            "registration/account.html",
            _account_context(request),
            status=http_status(error),
        )
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:account")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's set_language (cookie, back to `next`), and for a
    logged-in person the account's preference too, so it follows them to other devices."""
    response = django_set_language(request)
    language = valid_language(request.POST.get("language"))
    user = request.user
    if language and isinstance(user, User):
        saved = services.account_settings_update(user=user, language=language)
        remember_preferences(request, language=saved.language, time_zone=saved.time_zone)
    return response


@login_required
@require_POST
def account_settings_save(request: HttpRequest) -> HttpResponse:
    """The account page's language and time zone."""
    user = request.user
    assert isinstance(user, User)
    form = AccountSettingsForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "registration/account.html",
            _account_context(request, settings_form=form),
            status=400,
        )
    saved = services.account_settings_update(
        user=user,
        language=form.cleaned_data["language"],
        time_zone=form.cleaned_data["time_zone"],
    )
    remember_preferences(request, language=saved.language, time_zone=saved.time_zone)
    # Activated now, so the confirmation below is already in the chosen language.
    if saved.language:
        translation.activate(saved.language)
    messages.success(request, _("Your settings are saved."))
    response = redirect("accounts:account")
    if saved.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            saved.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite="Lax",
        )
    return response
