"""Translations API: facilitators and moderators add, replace and remove translations.

Reading needs nothing of its own: spaces and statements carry `language` and
`translations` (elicitation.apis.spaces, elicitation.apis.statements).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from communities.roles import Action
from elicitation import selectors, services
from elicitation.apis.common import SpaceApi, _errors, name_nested_serializers
from elicitation.models import TRANSLATION_MAX_LENGTH, Statement
from elicitation.services.common import statement_number_in_range

LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=[code for code, _name in settings.LANGUAGES],
    description="The language of the translation: one of the site's languages other than "
    "the space's own (`language` of the space). Another gets 400 naming `language`.",
)

_WRITE_ERRORS = {
    **_errors(400, 401, 429),
    403: OpenApiResponse(
        description="Only the space's facilitators and moderators translate "
        "(code not_translator, or your role does not allow moderating)."
    ),
}


def _saved(data: Any, created: bool) -> Response:
    """A PUT's answer: 201 when it added the translation, 200 when it replaced one."""
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SpaceTranslationApi(SpaceApi):
    """The space's title, question and description in one language."""

    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=160, trim_whitespace=False)
        question = serializers.CharField(max_length=300, trim_whitespace=False)
        description = serializers.CharField(
            max_length=6000,
            required=False,
            allow_blank=True,
            default="",
            help_text="Empty: readers of this language see the original description.",
        )

    class OutputSerializer(serializers.Serializer):
        language = serializers.CharField()
        title = serializers.CharField()
        question = serializers.CharField()
        description = serializers.CharField()
        updated_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="spaces_translation_put",
        parameters=[LANGUAGE_PARAMETER],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            201: OutputSerializer,
            **_WRITE_ERRORS,
            **_errors(404),
        },
        description="Add (201) or replace (200) the space's title, question and description "
        "in `language`. Recorded in the public decision log (action translate). The "
        "original is unchanged.",
    )
    def put(self, request: Request, space_id: int, language: str) -> Response:
        access = self.access(request, space_id, Action.MODERATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        translation, created = services.space_translation_set(
            access=access, actor=request.user, language=language, **data.validated_data
        )
        return _saved(self.OutputSerializer(translation).data, created)

    @extend_schema(
        operation_id="spaces_translation_delete",
        parameters=[LANGUAGE_PARAMETER],
        request=None,
        responses={204: None, **_WRITE_ERRORS, **_errors(404)},
        description="Remove the space's translation into `language` (404 when there is "
        "none); logged publicly.",
    )
    def delete(self, request: Request, space_id: int, language: str) -> Response:
        access = self.access(request, space_id, Action.MODERATE)
        services.space_translation_remove(access=access, actor=request.user, language=language)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _statement(access: selectors.SpaceAccess, number: int) -> Statement:
    if not statement_number_in_range(number):
        raise serializers.ValidationError({"number": ["No statement has this number."]})
    return selectors.statement_get_visible(
        space=access.space, number=number, participant=None, moderator=True
    )


class StatementTranslationApi(SpaceApi):
    """One statement's wording in one language."""

    throttle_scope = "space_writes"

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(
            max_length=TRANSLATION_MAX_LENGTH * 4,
            allow_blank=True,
            trim_whitespace=False,
            help_text=f"10 to {TRANSLATION_MAX_LENGTH} characters after trimming; no "
            "direction-override characters.",
        )

    class OutputSerializer(serializers.Serializer):
        number = serializers.IntegerField(source="statement.number")
        language = serializers.CharField()
        text = serializers.CharField()
        created = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="statements_translation_put",
        parameters=[LANGUAGE_PARAMETER],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            201: OutputSerializer,
            **_WRITE_ERRORS,
            **_errors(404),
        },
        description="Add (201) or replace (200) the statement's translation into `language` "
        "(pending and accepted statements). Recorded in the public decision log; the "
        "original text is unchanged and stays what exports and value profiles carry.",
    )
    def put(self, request: Request, space_id: int, number: int, language: str) -> Response:
        access = self.access(request, space_id, Action.MODERATE)
        statement = _statement(access, number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        translation, created = services.statement_translation_set(
            access=access,
            actor=request.user,
            statement=statement,
            language=language,
            text=data.validated_data["text"],
        )
        return _saved(self.OutputSerializer(translation).data, created)

    @extend_schema(
        operation_id="statements_translation_delete",
        parameters=[LANGUAGE_PARAMETER],
        request=None,
        responses={204: None, **_WRITE_ERRORS, **_errors(404)},
        description="Remove the statement's translation into `language` (404 when there is "
        "none); logged publicly.",
    )
    def delete(self, request: Request, space_id: int, number: int, language: str) -> Response:
        access = self.access(request, space_id, Action.MODERATE)
        statement = _statement(access, number)
        services.statement_translation_remove(
            access=access, actor=request.user, statement=statement, language=language
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


name_nested_serializers(globals())
