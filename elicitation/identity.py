"""Who is taking part: the request-facing half of participant identity.

Logged-in users are bound to their user. Anonymous participants in link
spaces carry a random token, signed with the project's secret and bound to
one space, in a cookie (browsers) or the `X-Participant-Token` header (API
clients; the same value as the cookie). An embedding site may pass `xid`.

How a visitor came matters in a private community: there a non-member may
see or join a link space only through its link. Visiting /j/<token>/ leaves a
signed grant cookie for that space (`remember_link`); API clients send the
link token in `X-Space-Link`, or their participant token, which only the link
hands out. `link_proof` collects all three for `selectors.space_access`, and
`request_access` asks it about the person behind a request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from typing import NamedTuple
from urllib.parse import quote, unquote

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from rest_framework.exceptions import Throttled

from communities.roles import Action
from elicitation import selectors, services
from elicitation.models import Participant, Space

TOKEN_HEADER = "X-Participant-Token"
TOKEN_META = "HTTP_X_PARTICIPANT_TOKEN"
LINK_HEADER = "X-Space-Link"
LINK_META = "HTTP_X_SPACE_LINK"
_SALT = "elicitation.participant"
# A different salt: a participant token must never pass for a link grant, nor the reverse.
_LINK_SALT = "elicitation.link"
COOKIE_MAX_AGE = 365 * 24 * 3600


def cookie_name(space: Space) -> str:
    return _participant_cookie_name(space.pk)


def _participant_cookie_name(space_id: int) -> str:
    return f"polyphony_p{space_id}"


def link_cookie_name(space_id: int) -> str:
    return f"polyphony_l{space_id}"


def participant_token_max_age_s() -> int:
    """How long a participant token (and its cookie) lasts after it was issued."""
    return int(settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS) * 24 * 3600


def sign_token(space: Space, raw: str) -> str:
    """`raw` bound to `space`, signed, with the moment it was issued (it expires)."""
    return signing.TimestampSigner(salt=_SALT).sign(f"{space.pk}.{raw}")


class TokenState(NamedTuple):
    raw: str  # "" unless the token is good for the space
    expired: bool  # signed for the space, but too old (or from before tokens expired)
    age_s: float


def participant_token_state(space_id: int, value: str) -> TokenState:
    """What a signed participant token is worth in space `space_id`, now.

    Tokens signed before they carried a timestamp count as expired: they
    would otherwise never expire.
    """
    payload = _verified_payload(settings.SECRET_KEY, _SALT, value) if value else ""
    body, sep, stamp = payload.rpartition(":")
    if not sep:
        body, stamp = payload, ""
    space_part, _, raw = body.partition(".")
    if space_part != str(space_id) or not raw:
        return TokenState("", False, 0.0)
    try:
        age = time.time() - signing.b62_decode(stamp) if stamp else float("inf")
    except ValueError:
        age = float("inf")
    if age > participant_token_max_age_s():
        return TokenState("", True, age)
    return TokenState(raw, False, age)


def renewal_due(state: TokenState) -> bool:
    """Past half its life: a write hands out a fresh token for the same participant."""
    return bool(state.raw) and state.age_s > participant_token_max_age_s() / 2


def _unsign(space: Space, value: str) -> str:
    """The raw token in `value` if its signature is good, for `space` and not expired."""
    return unsign_for_space_id(space.pk, value)


def unsign_for_space_id(space_id: int, value: str) -> str:
    """`_unsign` for a caller that has not loaded the space (the vote API's fast path)."""
    return participant_token_state(space_id, value).raw


def participant_token_expired(request: HttpRequest, space_id: int) -> bool:
    """Whether the request's X-Participant-Token is a real one of the space, but expired."""
    return participant_token_state(space_id, request.META.get(TOKEN_META, "")).expired


def _unsign_with(salt: str, space_id: int, value: str) -> str:
    payload = _verified_payload(settings.SECRET_KEY, salt, value)
    space_part, _sep, raw = payload.partition(".")
    return raw if space_part == str(space_id) and raw else ""


@functools.lru_cache(maxsize=16384)
def _verified_payload(secret_key: str, salt: str, value: str) -> str:
    """The signed payload of `value`, or "" if its signature is bad.

    Cached: a participant sends the same token with every vote, and checking
    the signature (key derivation and HMAC) was 6% of a vote's CPU in the load
    benchmark. The key is part of the cache key, so a new SECRET_KEY checks
    afresh; a bad signature is as cheap to remember as a good one.
    """
    try:
        return signing.Signer(key=secret_key, salt=salt).unsign(value)
    except signing.BadSignature:
        return ""


def link_proof(request: HttpRequest, space_id: int) -> selectors.LinkProof:
    """What `request` shows for having come through the link of space `space_id`.

    Reads only headers and cookies, no database; the selector compares the
    link tokens with the space's once it has loaded it.
    """
    tokens: list[str] = []
    presented = request.META.get(LINK_META, "").strip()
    if presented:
        tokens.append(presented)
    grant = request.COOKIES.get(link_cookie_name(space_id), "")
    held = _unsign_with(_LINK_SALT, space_id, grant) if grant else ""
    if held:
        tokens.append(held)
    participant_tokens = (
        request.META.get(TOKEN_META, ""),
        request.COOKIES.get(_participant_cookie_name(space_id), ""),
    )
    signed = any(value and unsign_for_space_id(space_id, value) for value in participant_tokens)
    return selectors.LinkProof(
        tokens=tuple(tokens), participant_token_for=space_id if signed else None
    )


def remember_link(request: HttpRequest, space: Space, response: HttpResponseBase) -> None:
    """Record in this browser that it came through the link of `space` (a signed cookie).

    The grant holds the link token itself, signed like the participant
    cookie: the selector compares it with the space's current token, so a
    grant lapses if the link ever changes.
    """
    if space.participation != Space.Participation.LINK:
        return
    response.set_cookie(
        link_cookie_name(space.pk),
        signing.Signer(salt=_LINK_SALT).sign(f"{space.pk}.{space.link_token}"),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG and request.is_secure(),
    )


def may_carry_xid(request: HttpRequest, space_id: int) -> bool:
    """Whether `xid_from` could find an external id (query string, form or cookie)."""
    return (
        "xid" in request.GET or "xid" in request.POST or f"polyphony_x{space_id}" in request.COOKIES
    )


def anon_token_from(request: HttpRequest, space: Space) -> str:
    """The raw anonymous token the request carries for `space` (header first), or ""."""
    for value in (request.META.get(TOKEN_META, ""), request.COOKIES.get(cookie_name(space), "")):
        if value:
            raw = _unsign(space, value)
            if raw:
                return raw
    return ""


def xid_cookie_name(space: Space) -> str:
    return f"polyphony_x{space.pk}"


XID_SIGNATURE_FIELD = "xid_sig"
XID_SIGNATURE_META = "HTTP_X_XID_SIGNATURE"


def xid_secret(space: Space) -> str:
    """The space's key for xid signatures, shown to its facilitators.

    Derived from SECRET_KEY and the space id (no table column to leak, nothing
    to store); changing SECRET_KEY changes every space's secret.
    """
    return salted_hmac("elicitation.xid-secret", str(space.pk), algorithm="sha256").hexdigest()


def xid_signature(space: Space, xid: str) -> str:
    """What an embedding site sends as `xid_sig`: HMAC-SHA256(secret, xid), hexadecimal."""
    return hmac.new(xid_secret(space).encode(), xid.encode(), hashlib.sha256).hexdigest()


def xid_signed(space: Space, xid: str, signature: str) -> bool:
    """Whether `xid` may be used as given: signed by the embedding site, or trusted unsigned.

    Without this anyone could send `{"xid": "embed-user-42"}` and change that
    person's votes.
    """
    if space.trust_unsigned_xids:
        return True
    return bool(signature) and hmac.compare_digest(signature.lower(), xid_signature(space, xid))


def xid_signature_from(request: HttpRequest) -> str:
    return (
        request.POST.get(XID_SIGNATURE_FIELD)
        or request.GET.get(XID_SIGNATURE_FIELD)
        or request.META.get(XID_SIGNATURE_META)
        or ""
    ).strip()


def xid_from(request: HttpRequest, space: Space) -> str:
    """An embedding site's external id: from the request (`xid`, signed) or the cookie it left.

    An xid without a valid signature (where the space does not trust unsigned
    ones) is ignored: the visitor takes part as an anonymous participant of
    their own, never as the person the xid names.
    """
    if space.participation != Space.Participation.LINK:
        return ""
    given = (request.POST.get("xid") or request.GET.get("xid") or "").strip()
    if given:
        return given if xid_signed(space, given, xid_signature_from(request)) else ""
    stored = request.COOKIES.get(xid_cookie_name(space), "")
    # The cookie holds a verified xid, percent-encoded: a cookie header is
    # Latin-1, and an xid such as "日" put there raw made the response fail.
    return unquote(_unsign(space, stored)) if stored else ""


def find_participant(request: HttpRequest, space: Space) -> Participant | None:
    return selectors.participant_find(
        space=space,
        user=request.user,
        anon_token=anon_token_from(request, space),
        xid=xid_from(request, space),
    )


def request_access(
    request: HttpRequest, space_id: int, action: Action = Action.VIEW
) -> selectors.SpaceAccess:
    """`selectors.space_access` for the person behind `request`: user, link proof, participant."""
    return selectors.space_access(
        user=request.user,
        space_id=space_id,
        action=action,
        link=link_proof(request, space_id),
        find_participant=lambda space: find_participant(request, space),
    )


def remember_xid(request: HttpRequest, space: Space, response: HttpResponseBase) -> None:
    """Keep a signed `?xid=` given on a page for the forms that follow (a signed cookie)."""
    given = (request.GET.get("xid") or "").strip()
    if (
        given
        and space.participation == Space.Participation.LINK
        and xid_signed(space, given, xid_signature_from(request))
    ):
        response.set_cookie(
            xid_cookie_name(space),
            sign_token(space, quote(given, safe="")),
            max_age=participant_token_max_age_s(),
            httponly=True,
            samesite="Lax",
        )


class Identity:
    """The participant a write request acts as; created on first need.

    Call `attach(response)` afterwards: it sets the anonymous cookie (and
    header) when a new anonymous identity was made.
    """

    def __init__(self, request: HttpRequest, space: Space, xid: str | None = None) -> None:
        self.request = request
        self.space = space
        self.xid = xid_from(request, space) if xid is None else xid
        self.new_token = ""

    def participant(self) -> Participant:
        request, space = self.request, self.space
        token = anon_token_from(request, space)
        if not token and not self.xid and not request.user.is_authenticated:
            _count_new_participant(request)
            token = services.new_anon_token()
            self.new_token = token
        participant, _created = services.participant_get_or_create(
            space=space, user=request.user, anon_token=token, xid=self.xid
        )
        participant.space = space
        return participant

    def attach(self, response: HttpResponseBase) -> HttpResponseBase:
        """Give a new anonymous identity its token; renew one past half its life.

        The renewal keeps a browser that keeps taking part from losing its
        identity when the token expires (the cookie is simply replaced); an
        API client finds the renewed token in the X-Participant-Token header.
        """
        raw = self.new_token or self._token_due_for_renewal()
        if raw:
            signed = sign_token(self.space, raw)
            response.set_cookie(
                cookie_name(self.space),
                signed,
                max_age=participant_token_max_age_s(),
                httponly=True,
                samesite="Lax",
                secure=not settings.DEBUG and self.request.is_secure(),
            )
            response[TOKEN_HEADER] = signed
        return response

    def _token_due_for_renewal(self) -> str:
        for value in (
            self.request.META.get(TOKEN_META, ""),
            self.request.COOKIES.get(cookie_name(self.space), ""),
        ):
            state = participant_token_state(self.space.pk, value)
            if state.raw:
                return state.raw if renewal_due(state) else ""
        return ""


def _count_new_participant(request: HttpRequest) -> None:
    """Count one new anonymous participant for the request's address; refuse past the limit.

    Every vote sent without a token made a participant (about 3,600 a minute
    from one address in the audit). settings.PARTICIPANTS_PER_ADDRESS bounds
    it; a school or a conference behind one address shares the budget, so the
    default is generous. The API answers 429 (DRF's Throttled), pages too
    (django-ratelimit's Ratelimited, through its middleware).
    """
    limited = is_ratelimited(
        request,
        group="participant-create",
        key="ip",
        rate=lambda group, request: settings.PARTICIPANTS_PER_ADDRESS,
        increment=True,
    )
    if not limited:
        return
    if request.path_info.startswith("/api/"):
        raise Throttled(detail=_("Too many new participants from your address; try again later."))
    raise Ratelimited(_("Too many new participants from your address; try again later."))
