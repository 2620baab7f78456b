"""Personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import ApiToken
from config.exceptions import Conflict, Forbidden, NotFound

MAX_ACTIVE_TOKENS = 20


TOKEN_KEY_PREFIX = "ppy_"


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.READ_WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its key. The key is returned only here; only its hash is kept."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Name the token (for example the script that uses it).")})
    if scope not in ApiToken.Scope.values:
        raise ValidationError(
            {
                "scope": _("Unknown scope “%(scope)s”: use one of %(scopes)s.")
                % {"scope": scope, "scopes": ", ".join(ApiToken.Scope.values)}
            }
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    # Lock the user's row so two concurrent creations cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            _("You have %(count)d active tokens; revoke one first.") % {"count": MAX_ACTIVE_TOKENS},
            code="too_many",
        )
    key = TOKEN_KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:10],
        key_hash=api_token_hash(key),
        scope=scope,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User | AnonymousUser, token_id: int) -> ApiToken:
    if not user.is_authenticated:
        raise Forbidden(_("Log in to manage your tokens."), code="login_required")
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("No such token among yours."))
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."), code="revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record that the token was used, at most once a minute (not a write per request)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)
