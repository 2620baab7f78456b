"""What every communities API view shares: error documentation, the service base class, pagination."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ErrorOutputSerializer, error_responses
from config.pagination import LimitOffsetPagination

ErrorOutput = ErrorOutputSerializer
InvitationErrorOutput = inline_serializer(
    "InvitationUnusable",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.ChoiceField(choices=["revoked", "expired", "used_up"]),
    },
)

# Where the communities API says more than the shared table.
_SPECIFIC_ERRORS: dict[int, OpenApiResponse] = {
    403: OpenApiResponse(
        ErrorOutput,
        description="Your role does not allow this (or you are not authenticated for a write).",
    ),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, specific=_SPECIFIC_ERRORS)


class ServiceApi(APIView):
    # The services' errors become answers in config.api_errors.exception_handler
    # (a comment, not a docstring: drf-spectacular would show it on every endpoint).
    pass


def _paginate(
    view: APIView, request: Request, items: Any, serializer: type[serializers.Serializer[Any]]
) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated ran before
    return user
