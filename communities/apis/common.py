"""What every communities API view shares: error documentation, the service base class, pagination."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from communities import services
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
    """Turns the services' exceptions into API answers: Django's ValidationError
    into 400 (field errors when a field is at fault) and an unusable invitation
    into 410. DRF already maps PermissionDenied to 403 and Http404 to 404."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.InvitationUnusable):
            return Response({"detail": exc.message, "code": exc.reason}, status=410)
        if isinstance(exc, DjangoValidationError):
            if hasattr(exc, "error_dict"):
                detail: Any = {
                    ("detail" if field == "__all__" else field): messages
                    for field, messages in exc.message_dict.items()
                }
            else:
                detail = {"detail": " ".join(exc.messages)}
            exc = ValidationError(detail)
        return super().handle_exception(exc)


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
