"""The embeddable page of a space (/s/<id>/embed/), its writes, and the embed script.

Only the embed page may be framed, and only by the origins the facilitators
listed (elicitation.embedding). Inside a third-party frame the browser may
withhold this site's cookies, the CSRF cookie included, so the frame's forms
post to their own endpoints, which take no ambient credential: no session
user, no cookie. A participant there is named by the host site's signed xid
(sent with every form) or by the participant token the first answer hands
out (kept by static/js/embed-frame.js and sent back in a header). A forged
cross-site request can then act only as an identity its sender already holds,
which is why those endpoints may skip the CSRF check.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.security import csp_extend
from elicitation.embedding import frame_ancestors
from elicitation.identity import XID_SIGNATURE_FIELD, xid_from
from elicitation.models import Space
from elicitation.selectors import SpaceAccess
from elicitation.views import statements, votes
from elicitation.views.common import HtmxHttpRequest, _access
from elicitation.views.context import _vote_context

_EMBED_SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "embed.js"


def _embedded_access(request: HtmxHttpRequest, space_id: int) -> SpaceAccess:
    access = _access(request, space_id)
    if access.space.participation != Space.Participation.LINK:
        # Embedding is for spaces open to anyone with the link.
        raise Http404(_("This space cannot be embedded."))
    return access


@require_GET
def space_embed(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    _strip_ambient_credentials(request)
    access = _embedded_access(request, space_id)
    space = access.space
    xid = xid_from(request, space)
    context = _vote_context(request, access)
    xid_sig = (request.GET.get(XID_SIGNATURE_FIELD) or "").strip() if xid else ""
    stand_url = reverse("elicitation:stand", kwargs={"space_id": space.pk})
    if xid:
        # The page opens outside the frame: the signed xid names the participant there too.
        stand_url += "?" + urlencode({"xid": xid, XID_SIGNATURE_FIELD: xid_sig})
    context.update({"xid": xid, "xid_sig": xid_sig, "stand_url": stand_url})
    response = render(request, "elicitation/embed.html", context)
    ancestors = frame_ancestors(space)
    if ancestors:
        csp_extend(response, frame_ancestors=ancestors)
    return response


def _strip_ambient_credentials(request: HtmxHttpRequest) -> None:
    """Forget the session user and the cookies: the frame acts only on what it sends."""
    request.user = AnonymousUser()
    request.COOKIES = {}
    request.embedded = True  # type: ignore[attr-defined]  # read by the templates


@csrf_exempt
@require_POST
def embed_vote(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    _strip_ambient_credentials(request)
    _embedded_access(request, space_id)
    return votes.vote(request, space_id)


@csrf_exempt
@require_POST
def embed_propose(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    _strip_ambient_credentials(request)
    _embedded_access(request, space_id)
    return statements.statement_propose(request, space_id)


@require_GET
@cache_control(public=True, max_age=3600)
def embed_script(request: HtmxHttpRequest) -> HttpResponse:
    """The host sites' script at a stable address (/embed.js), whatever the static storage names."""
    return HttpResponse(
        _EMBED_SCRIPT.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8"
    )
