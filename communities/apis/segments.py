"""Segments API: questions and a member's own answers."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from communities import selectors, services
from communities.apis.common import ServiceApi, _errors
from communities.models import SegmentQuestion
from communities.roles import Action


class SegmentQuestionOutput(serializers.Serializer[SegmentQuestion]):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField())
    position = serializers.IntegerField()


class SegmentQuestionListCreateApi(ServiceApi):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "SegmentQuestionCreateInput"

        label = serializers.CharField(max_length=120)  # type: ignore[assignment]
        choices = serializers.ListField(
            child=serializers.CharField(max_length=120),
            min_length=2,
            max_length=services.MAX_SEGMENT_CHOICES,
        )

    @extend_schema(
        operation_id="segment_questions_list",
        summary="The community's optional segment questions",
        responses={200: SegmentQuestionOutput(many=True), **_errors(404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        questions = selectors.segment_questions(community=community)
        return Response(SegmentQuestionOutput(cast(Any, questions), many=True).data)

    @extend_schema(
        operation_id="segment_questions_create",
        summary="Add a segment question (owners, facilitators)",
        request=InputSerializer,
        responses={201: SegmentQuestionOutput, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, slug: str) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.segment_question_create(community=community, **data.validated_data)
        return Response(SegmentQuestionOutput(question).data, status=status.HTTP_201_CREATED)


class SegmentQuestionDeleteApi(ServiceApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="segment_questions_delete",
        summary="Delete a segment question and every answer to it",
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, slug: str, question_id: int) -> Response:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        services.segment_question_delete(community=community, question_id=question_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    choice = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="Null or empty removes your answer."
    )


class MyAnswersApi(ServiceApi):
    """Only ever your own answers: no endpoint returns another person's."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "MyAnswersInput"

        answers = AnswerSerializer(many=True)

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "MyAnswers"

        answers = AnswerSerializer(many=True)

    def _output(self, answers: dict[int, str]) -> dict[str, Any]:
        rows = [{"question": q, "choice": c} for q, c in sorted(answers.items())]
        return self.OutputSerializer({"answers": rows}).data

    @extend_schema(
        operation_id="my_answers_retrieve",
        summary="Your own answers to the community's segment questions",
        responses={200: OutputSerializer, **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        if selectors.membership_for(user=request.user, community=community) is None:
            self.permission_denied(request, message=_("Only members answer the questions."))
        return Response(
            self._output(selectors.segment_answers_of(user=request.user, community=community))
        )

    @extend_schema(
        operation_id="my_answers_update",
        summary="Set your answers (questions not listed keep their answer)",
        request=InputSerializer,
        responses={200: OutputSerializer, **_errors(400, 401, 403, 404, 429)},
    )
    def put(self, request: Request, slug: str) -> Response:
        community = selectors.community_get_visible(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {row["question"]: row["choice"] or None for row in data.validated_data["answers"]}
        result = services.segment_answers_set(
            user=request.user, community=community, answers=answers
        )
        return Response(self._output(result))
