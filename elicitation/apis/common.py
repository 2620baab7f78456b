"""What every participant API view shares: error documentation, the service-error mapping, the space base class."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from communities.roles import Action
from config.api_errors import BAD_REQUEST_SCHEMA, ErrorOutputSerializer, error_responses
from elicitation import selectors, services
from elicitation.identity import (
    LINK_HEADER,
    TOKEN_HEADER,
    XID_SIGNATURE_FIELD,
    Identity,
    participant_token_expired,
    request_access,
    xid_signature_from,
    xid_signed,
)
from elicitation.models import Space
from elicitation.throttles import ParticipantScopedThrottle

T = TypeVar("T")

# Statement numbers are PositiveIntegerFields and ids 64-bit: a larger number in
# a request names nothing, and the database would overflow on it (a 500).
MAX_NUMBER = services.MAX_STATEMENT_NUMBER
MAX_ID = 2**63 - 1


def number_field(**kwargs: Any) -> serializers.IntegerField:
    """A statement number in a request: 0 to MAX_NUMBER."""
    return serializers.IntegerField(min_value=0, max_value=MAX_NUMBER, **kwargs)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An object id in a request: 1 to MAX_ID."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class DuplicateOutputSerializer(serializers.Serializer):
    text = serializers.ListField(child=serializers.CharField())
    duplicate_of = serializers.DictField(help_text="{number, text, url} of the existing statement")


class SimilarItemOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    similarity = serializers.FloatField(help_text="Cosine similarity of the two meanings, 0 to 1.")
    url = serializers.CharField()


class SimilarOutputSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["similar"])
    detail = serializers.CharField()
    similar = SimilarItemOutputSerializer(many=True)


# Where the participant API says more than the shared table.
_SPECIFIC_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(BAD_REQUEST_SCHEMA, "Bad input: messages per field, or a detail."),
    403: OpenApiResponse(
        ErrorOutputSerializer, "Your role does not allow this, or the activity is off."
    ),
    404: OpenApiResponse(
        ErrorOutputSerializer,
        "No such space, or you may not see it (in a private community, a link space "
        "needs X-Space-Link or X-Participant-Token from non-members).",
    ),
    409: OpenApiResponse(
        ErrorOutputSerializer, "The space is closed, not open yet or outside its schedule."
    ),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, specific=_SPECIFIC_ERRORS)


TOKEN_PARAMETER = OpenApiParameter(
    name=TOKEN_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Anonymous participation in spaces open to anyone with the link: the token "
        "returned in this header by your first write (or by POST .../participants/). "
        "Logged-in users do not need it. In a private community it also proves you "
        "came through the link, in place of X-Space-Link."
    ),
)

LINK_PARAMETER = OpenApiParameter(
    name=LINK_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The link token of a space open to anyone with the link (the <token> of its "
        "/j/<token>/ URL). Needed, in a private community, by non-members who hold no "
        "X-Participant-Token of the space yet (typically on POST .../participants/); "
        "without it the space answers 404. Members and public communities do not need it."
    ),
)

# For every endpoint a non-member may reach in a link space.
ACCESS_PARAMETERS = [TOKEN_PARAMETER, LINK_PARAMETER]


class SpaceApi(APIView):
    permission_classes = [AllowAny]  # access is decided by the selectors, per space
    throttle_classes = [ParticipantScopedThrottle]
    # DRF checks throttles before the handler runs, so the scope is declared
    # here, per class: `throttle_scope` for every method, `throttle_scopes`
    # for the methods that differ (a list's POST is a write).
    throttle_scope = "space_reads"
    throttle_scopes: ClassVar[dict[str, str]] = {}
    # The join endpoint takes an expired participant token as no token (it
    # hands out a new one); every other endpoint answers it with a 401.
    accepts_expired_participant_token: ClassVar[bool] = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        space_id = kwargs.get("space_id")
        if (
            space_id is not None
            and not self.accepts_expired_participant_token
            and participant_token_expired(request._request, int(space_id))
        ):
            raise AuthenticationFailed(
                _(
                    "Your participant token has expired (tokens last %(days)d days). Get a "
                    "new one with POST /api/v1/spaces/%(space)d/participants/; a token renewed "
                    "that way before it expires keeps your participant."
                )
                % {"days": settings.PARTICIPANT_TOKEN_MAX_AGE_DAYS, "space": int(space_id)},
                code="participant_token_expired",
            )

    def access(
        self, request: Request, space_id: int, action: Action = Action.VIEW
    ) -> selectors.SpaceAccess:
        """What the caller may do in the space (`selectors.space_access`), if they may do `action`."""
        if action in (Action.CREATE_SPACE, Action.MODERATE) and not request.user.is_authenticated:
            raise NotAuthenticated()
        return request_access(request._request, space_id, action)

    def space(self, request: Request, space_id: int, action: Action = Action.VIEW) -> Space:
        return self.access(request, space_id, action).space

    def identity(self, request: Request, space: Space) -> Identity:
        data = request.data if isinstance(request.data, dict) else {}
        xid = data.get("xid")
        if xid is not None and not isinstance(xid, str):
            raise serializers.ValidationError({"xid": [_("An external id is a string.")]})
        if xid and space.participation == Space.Participation.LINK:
            signature = data.get(XID_SIGNATURE_FIELD) or xid_signature_from(request._request)
            if not isinstance(signature, str) or not xid_signed(space, xid.strip(), signature):
                raise serializers.ValidationError(
                    {
                        "xid": [
                            _(
                                "This xid is not signed: send xid_sig (or the X-Xid-Signature "
                                "header), the HMAC-SHA256 of the xid keyed with the space's "
                                "secret, which its facilitators see on the space's settings page."
                            )
                        ]
                    }
                )
        return Identity(request._request, space, xid=xid or None)


def name_nested_serializers(namespace: dict[str, Any]) -> None:
    """Give each view's nested Input/OutputSerializer its own OpenAPI component name.

    Each API module calls it at its end with `globals()`.
    """
    for view in list(namespace.values()):
        if isinstance(view, type) and issubclass(view, APIView) and view.__name__.endswith("Api"):
            for kind in ("InputSerializer", "OutputSerializer"):
                nested = view.__dict__.get(kind)
                if nested is not None:
                    meta = type("Meta", (), {"ref_name": view.__name__[:-3] + kind[:-10]})
                    nested.Meta = meta
