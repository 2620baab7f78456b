"""API throttling per participant, with a scope per kind of request.

DRF's ScopedRateThrottle keys anonymous clients by IP address; many
participants behind one address (a school, a conference Wi-Fi, an embedding
site's server) would share one budget. Here an anonymous client carrying a
valid participant token is keyed by that token; otherwise by IP as usual.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core import signing
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from elicitation.identity import TOKEN_META


class ParticipantScopedThrottle(ScopedRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            token = request.META.get(TOKEN_META, "")
            ident = ""
            if token:
                try:
                    signing.Signer(salt="elicitation.participant").unsign(token)
                except signing.BadSignature:
                    token = ""
            if token:
                ident = "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]
            else:
                ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
