"""Signing up."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str) -> User:
    """Create an account. The password must already have passed the validators (the form does)."""
    email = User.objects.normalize_email(email.strip())
    if not email:
        raise ValidationError({"email": "An e-mail address is needed to reset a lost password."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
