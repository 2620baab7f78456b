"""Account pages, included at accounts/ by config/urls.py."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django_ratelimit.decorators import ratelimit

from communities import account_views

app_name = "accounts"


def _reset_limit(key: str) -> Any:
    return ratelimit(
        group=f"password-reset-{key}",
        key=key,
        rate=lambda group, request: settings.PASSWORD_RESET_RATE,
        method="POST",
    )


urlpatterns = [
    path("", account_views.account, name="account"),
    path("settings/", account_views.account_settings_save, name="settings"),
    path("signup/", account_views.sign_up, name="signup"),
    path("login/", account_views.RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        # Each request sends an e-mail: limited per address and per target e-mail.
        _reset_limit("ip")(
            _reset_limit("post:email")(
                auth_views.PasswordResetView.as_view(
                    success_url=reverse_lazy("accounts:password_reset_done"),
                    email_template_name="registration/password_reset_email.txt",
                    subject_template_name="registration/password_reset_subject.txt",
                )
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("tokens/", account_views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", account_views.token_revoke, name="token_revoke"),
]
