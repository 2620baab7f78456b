"""`Authorization: Token <key>` (or `Bearer <key>`) for the REST API, with the personal
API tokens: their expiry is checked here, and a read-only token is refused any write."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from communities.models import ApiToken
from communities.services import api_token_hash, api_token_touch


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"
    # RFC 6750's scheme, which many HTTP clients send by default.
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None  # not ours: let session authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _(
                    "Invalid token header: use `Authorization: Token <key>` (or `Bearer <key>`) "
                    "with no spaces in the key."
                )
            )
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token: not text.")) from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if token.is_expired:
            assert token.expires_at is not None
            raise exceptions.AuthenticationFailed(
                _("This token expired at %(when)s UTC; create a new one on your account page.")
                % {"when": f"{token.expires_at:%Y-%m-%d %H:%M}"}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is deactivated."))
        if token.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            # Raised here, so it holds for every endpoint whatever its permissions.
            raise exceptions.PermissionDenied(
                _(
                    "This token has the read-only scope “%(scope)s”: it may not %(method)s. "
                    "Use a token with the “%(write_scope)s” scope."
                )
                % {
                    "scope": token.scope,
                    "method": request.method,
                    "write_scope": ApiToken.Scope.READ_WRITE.value,
                }
            )
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Used for the WWW-Authenticate header if this class is ever listed first.
        return self.keyword


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "communities.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token from your account page, sent as "
            "`Authorization: Token <key>` or `Authorization: Bearer <key>`. A token with the "
            "`read` scope may only read (writes get 403); an expired token gets 401.",
        }
