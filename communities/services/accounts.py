"""Signing up; a person's own settings."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import AccountSettings


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create an account. The password must already have passed the validators (the form does)."""
    email = User.objects.normalize_email(email.strip())
    if not email:
        raise ValidationError({"email": _("An e-mail address is needed to reset a lost password.")})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def account_settings_update(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> AccountSettings:
    """Save a person's language and/or time zone ("" = let the browser decide; None = keep)."""
    account_settings, _created = AccountSettings.objects.select_for_update().get_or_create(
        user=user
    )
    changed = []
    if language is not None:
        account_settings.language = language
        changed.append("language")
    if time_zone is not None:
        account_settings.time_zone = time_zone
        changed.append("time_zone")
    account_settings.full_clean()
    if changed:
        account_settings.save(update_fields=changed)
    return account_settings
