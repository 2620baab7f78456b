"""Votes API: the next statement to vote on, and casting a vote (the hot path, see below)."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from config.parsers import loads_bounded
from elicitation import selectors, services
from elicitation.apis.common import (
    ACCESS_PARAMETERS,
    SpaceApi,
    _errors,
    name_nested_serializers,
    number_field,
)
from elicitation.apis.statements import StatementOutputSerializer
from elicitation.identity import TOKEN_META, may_carry_xid, participant_token_state, renewal_due
from elicitation.throttles import ParticipantFixedWindowThrottle


class NextStatementOutputSerializer(serializers.Serializer):
    statement = StatementOutputSerializer(allow_null=True)
    voted = serializers.IntegerField()
    total = serializers.IntegerField()


class StatementNextApi(SpaceApi):
    @extend_schema(
        operation_id="statements_next",
        parameters=[
            *ACCESS_PARAMETERS,
            OpenApiParameter("xid", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False),
        ],
        responses={200: NextStatementOutputSerializer, **_errors(404, 429)},
        description="The next statement to vote on (null when none is left) and progress.",
    )
    def get(self, request: Request, space_id: int) -> Response:
        access = self.access(request, space_id)
        space, participant = access.space, access.participant
        routing = selectors.latest_routing(space=space)
        statement = selectors.statement_next(space=space, participant=participant, routing=routing)
        progress = selectors.vote_progress(space=space, participant=participant)
        return Response(
            {
                "statement": StatementOutputSerializer(statement).data if statement else None,
                "voted": progress.voted,
                "total": progress.total,
            }
        )


class VoteCastApi(SpaceApi):
    """Cast or change a vote. Contract: {"statement": <number>, "value": 1|-1|0, "xid"?}.

    Routed through `vote_cast_api` below, which answers token holders' plain
    votes itself; this view gives every other answer.
    """

    # Votes and comparisons share the "space_votes" budget, counted cheaply.
    throttle_classes = [ParticipantFixedWindowThrottle]
    # JSON only: the hottest endpoint skips negotiating the browsable API
    # (about 5% of a vote's app CPU in the profile); it has nothing to browse.
    renderer_classes = [JSONRenderer]
    throttle_scope = "space_votes"

    class InputSerializer(serializers.Serializer):
        statement = number_field(help_text="The statement's number in this space.")
        value = serializers.ChoiceField(
            choices=[1, -1, 0], help_text="1 agree, -1 disagree, 0 pass."
        )
        xid = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        statement = serializers.IntegerField()
        value = serializers.IntegerField()
        participant = serializers.IntegerField()
        updated_at = serializers.DateTimeField()
        changed = serializers.BooleanField(help_text="False when this repeated the stored vote.")

    @extend_schema(
        operation_id="votes_cast",
        request=InputSerializer,
        parameters=ACCESS_PARAMETERS,
        responses={
            201: OpenApiResponse(OutputSerializer, "First vote on this statement."),
            200: OpenApiResponse(OutputSerializer, "Vote changed, or the same vote repeated."),
            **_errors(400, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = self.space(request, space_id, Action.PARTICIPATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = self.identity(request, space)
        participant = identity.participant()
        outcome = services.vote_cast(
            participant=participant,
            statement_number=data.validated_data["statement"],
            value=data.validated_data["value"],
        )
        response = Response(
            {
                "statement": outcome.statement.number,
                "value": outcome.value,
                "participant": participant.number,
                "updated_at": outcome.updated_at,
                "changed": outcome.changed,
            },
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )
        identity.attach(response)
        return response


name_nested_serializers(globals())


# --- The hot path ----------------------------------------------------------------
# POST /api/v1/spaces/<id>/votes/ is routed (first pattern of config/urls.py)
# to `vote_cast_api`, an ordinary function view behind Django's whole
# middleware stack, in the shape of Healthchecks' `ping`. It answers the
# common case, an anonymous participant holding an `X-Participant-Token` and
# sending a plain JSON vote, with one call to the vote writer
# (`services.votes_cast_for_anon_tokens`, through the batcher). It is
# CSRF-exempt because it uses no session: a logged-in user takes the full
# path, where DRF checks CSRF. Everything else (a logged-in user or API token,
# an xid, input the API would refuse or that is not plain, a throttled client,
# a vote the SQL rule refuses) goes to `VoteCastApi`, which gives the precise
# answer; both return the same status, body and headers
# (tests/elicitation/test_vote_api.py compares them).
#
# No bypass of Django: measured side by side on benchmarks/votes_load.py (2
# cores, load average 10 to 12 from other work, 50 clients): this view 307
# votes/s; the same code behind a handler with only Django's security
# middleware 345 (1.12 times); the former WSGI lane in front of Django 681
# (2.2 times, but it re-implemented Django's host, HTTPS and header handling).
# A separate path had to be at least 1.3 times faster in the form allowed (a
# routed view that keeps Django's security middleware); it was not.

_full_path = VoteCastApi.as_view()
# A vote body is about 30 bytes; anything much larger is not a plain vote.
MAX_BODY = 1024
VOTE_SCOPE = VoteCastApi.throttle_scope

_throttle = ParticipantFixedWindowThrottle()


def _write(batch: list[services.TokenVoteInput]) -> list[services.TokenVote | None]:
    """Count a batch against the vote throttle (one Redis round trip), then cast what it allows.

    A throttled vote gets None: its request takes the full path, where DRF
    counts it again and answers 429 with Retry-After. Only the batch's leader
    calls this, one batch at a time per process, so the shared throttle
    object is used by one request at a time.
    """
    allowed = _throttle.allow_participant_tokens([v.signed_token for v in batch], VOTE_SCOPE)
    cast = iter(
        services.votes_cast_for_anon_tokens([v for v, ok in zip(batch, allowed, strict=True) if ok])
    )
    return [next(cast) if ok else None for ok in allowed]


_batcher = services.VoteBatcher(_write)
# DRF's renderer (not its request pipeline): the body is byte for byte the
# full path's, timestamps included.
_renderer = JSONRenderer()


def token_vote_body(statement_number: int, value: int, vote: services.TokenVote) -> dict[str, Any]:
    """The vote API's response body (`VoteCastApi.OutputSerializer`) for a token holder's vote."""
    return {
        "statement": statement_number,
        "value": value,
        "participant": vote.participant_number,
        "updated_at": vote.updated_at,
        "changed": vote.changed,
    }


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _may_be_a_user(request: HttpRequest) -> bool:
    """A session may be a logged-in user, who votes as such on the full path (CSRF-checked).

    Other cookies (a load balancer's) change nothing, and without a session
    cookie the session is never loaded.
    """
    return settings.SESSION_COOKIE_NAME in request.COOKIES and bool(request.user.is_authenticated)


def token_vote(request: HttpRequest, space_id: int) -> HttpResponse | None:
    """The response to a token holder's plain vote, or None to leave it to the full path."""
    token = request.META.get(TOKEN_META, "")
    if (
        request.method != "POST"
        or not token
        # The token statement exists on PostgreSQL only; elsewhere DRF answers
        # (and the throttle counts the vote once).
        or connection.vendor != "postgresql"
        or request.content_type != "application/json"
        or "HTTP_AUTHORIZATION" in request.META  # an API token: a user
        or not 0 < _content_length(request) <= MAX_BODY
        or may_carry_xid(request, space_id)
        or _may_be_a_user(request)
    ):
        return None
    try:
        # Bounded: deep nesting would make json raise RecursionError (a 500).
        vote_input = services.plain_vote(loads_bounded(request.body))
    except ValueError:
        return None
    state = participant_token_state(space_id, token)
    # A token past half its life takes the full path, which renews it.
    if vote_input is None or not state.raw or renewal_due(state):
        return None
    raw = state.raw
    statement_number, value = vote_input
    vote = _batcher.cast(services.TokenVoteInput(space_id, raw, statement_number, value, token))
    if vote is None:
        return None
    response = HttpResponse(
        _renderer.render(token_vote_body(statement_number, value, vote)),
        content_type="application/json",
        status=201 if vote.created else 200,
    )
    response["Allow"] = "POST, OPTIONS"  # as DRF: the view's methods
    # A session cookie would have made it the user's vote: the answer depends on cookies.
    patch_vary_headers(response, ["Cookie"])
    return response


@csrf_exempt
@functools.wraps(_full_path, assigned=())  # carries VoteCastApi (`cls`) for the OpenAPI document
def vote_cast_api(request: HttpRequest, space_id: int) -> HttpResponseBase:
    answered = token_vote(request, space_id)
    if answered is not None:
        return answered
    return _full_path(request, space_id=space_id)
