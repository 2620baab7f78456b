"""REST API of the aggregation app: analysis runs and value-profile exports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aggregation import profiles, selectors, services
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.renderers import PROFILE_RENDERERS, ProfileNegotiation
from communities.selectors import community_get_visible
from config.api_errors import error_responses
from elicitation.models import Space

_errors = error_responses


FORMAT_PARAM = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "md"],
    description="json (default, schema value-profile/1), csv (one row per value) or md "
    "(a readable charter). An Accept header works too.",
)
PROFILE_DOC = (
    "The value profile in schema value-profile/1 (JSON Schema at "
    "/api/v1/schemas/value-profile-1.json), or its CSV or Markdown rendering. "
    "Send the ETag back in If-None-Match to get 304 Not Modified when nothing changed."
)


def _drf_validation(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


# --- Runs ------------------------------------------------------------------------


class RunOutputSerializer(serializers.ModelSerializer[AnalysisRun]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "url",
            "space",
            "status",
            "stage",
            "trigger",
            "input_fingerprint",
            "engine_version",
            "parameters",
            "timings",
            "counts",
            "error",
            "attempts",
            "created_at",
            "enqueued_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]

    def get_url(self, run: AnalysisRun) -> str:
        return reverse("aggregation-api:run-detail", kwargs={"run_id": run.pk})


class RunDetailOutputSerializer(RunOutputSerializer):
    result = serializers.JSONField()

    class Meta(RunOutputSerializer.Meta):
        fields = [*RunOutputSerializer.Meta.fields, "result"]


class RunListCreateApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = LimitOffsetPagination  # also tells the schema the list is paged

    class InputSerializer(serializers.Serializer[Any]):
        pass

    @extend_schema(
        operation_id="space_runs_list",
        summary="Analysis runs of a space (facilitators)",
        responses={200: RunOutputSerializer(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = selectors.space_for_analysis(user=request.user, space_id=space_id)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.runs_of_space(space=space), request, view=self)
        data = RunOutputSerializer(page, many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="space_runs_create",
        summary="Request an analysis run of a space (facilitators)",
        request=None,
        responses={
            201: RunOutputSerializer,
            409: OpenApiResponse(description="A run of this space is already queued or running."),
            **_errors(401, 403, 404, 429),
        },
    )
    def post(self, request: Request, space_id: int) -> Response:
        space = selectors.space_for_analysis(user=request.user, space_id=space_id)
        run = services.run_request(
            space=space,
            trigger=AnalysisRun.Trigger.API,
            requested_by=request.user,  # type: ignore[arg-type]
        )
        if run is None:
            active = (
                selectors.runs_of_space(space=space)
                .filter(status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING])
                .first()
            )
            return Response(
                {
                    "detail": "A run of this space is already queued or running; "
                    "wait for it to finish.",
                    "run": RunOutputSerializer(active).data if active else None,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(RunOutputSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="runs_retrieve",
        summary="One analysis run with its stage, timings, error and result (facilitators)",
        responses={200: RunDetailOutputSerializer, **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get_for_user(user=request.user, run_id=run_id)
        return Response(RunDetailOutputSerializer(run).data)


# --- Profiles --------------------------------------------------------------------


class ProfileSummarySerializer(serializers.ModelSerializer[ValueProfile]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ValueProfile
        fields = ["id", "version", "status", "published_at", "retracted_at", "url"]

    def get_url(self, profile: ValueProfile) -> str:
        if profile.version is None:
            return reverse("aggregation-api:profile-draft", kwargs={"profile_id": profile.pk})
        return reverse(
            "aggregation-api:profile-version",
            kwargs={"space_id": profile.space_id, "version": profile.version},
        )


class CommunityProfilesApi(APIView):
    permission_classes = [permissions.AllowAny]
    pagination_class = LimitOffsetPagination

    class OutputSerializer(serializers.ModelSerializer[Space]):
        profiles = serializers.SerializerMethodField()
        latest = serializers.SerializerMethodField()

        class Meta:
            model = Space
            fields = ["id", "title", "slug", "question", "phase", "latest", "profiles"]

        @extend_schema_field(ProfileSummarySerializer(many=True))
        def get_profiles(self, space: Space) -> list[dict[str, Any]]:
            return ProfileSummarySerializer(space.published_profiles, many=True).data  # type: ignore[attr-defined,return-value]

        def get_latest(self, space: Space) -> str | None:
            published = [
                p
                for p in space.published_profiles  # type: ignore[attr-defined]
                if p.status == ValueProfile.Status.PUBLISHED
            ]
            if not published:
                return None
            return reverse("aggregation-api:profile-latest", kwargs={"space_id": space.pk})

    @extend_schema(
        operation_id="community_profiles_list",
        summary="A community's spaces and their published value profiles",
        responses={200: OutputSerializer(many=True), **_errors(404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        community = community_get_visible(user=request.user, slug=slug)
        spaces = (
            Space.objects.filter(community=community)
            .without_drafts()
            .order_by("-created_at", "-id")
            .prefetch_related(
                Prefetch(
                    "profiles",
                    queryset=ValueProfile.objects.exclude(
                        status=ValueProfile.Status.DRAFT
                    ).order_by("-version"),
                    to_attr="published_profiles",
                )
            )
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(spaces, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class SpaceProfilesApi(APIView):
    permission_classes = [permissions.AllowAny]
    pagination_class = LimitOffsetPagination

    @extend_schema(
        operation_id="space_profiles_list",
        summary="Versions of a space's value profile (drafts too, for facilitators)",
        responses={200: ProfileSummarySerializer(many=True), **_errors(403, 404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = selectors.space_for_results(user=request.user, space_id=space_id)
        paginator = LimitOffsetPagination()
        queryset = selectors.profiles_visible(user=request.user, space=space).order_by(
            "-version", "-created_at"
        )
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ProfileSummarySerializer(page, many=True).data)


class _ProfileExportApi(APIView):
    """Shared GET: negotiate the format, answer 304 when the ETag matches."""

    permission_classes = [permissions.AllowAny]
    renderer_classes = PROFILE_RENDERERS
    content_negotiation_class = ProfileNegotiation

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        raise NotImplementedError  # each subclass says which profile

    def get(self, request: Request, **kwargs: Any) -> Response:
        profile = self.get_profile(request, **kwargs)
        fmt = request.accepted_renderer.format
        fmt = "md" if fmt == "markdown" else fmt
        tag = profiles.etag(profile.content, fmt)
        headers = {
            "ETag": tag,
            "Cache-Control": "no-cache",
            "Vary": "Accept, Cookie, Authorization",
        }
        sent = request.headers.get("If-None-Match", "")
        if sent and (
            sent.strip() == "*" or tag in [t.strip().removeprefix("W/") for t in sent.split(",")]
        ):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        if fmt in ("csv", "md"):
            filename = f"{profile.space.slug}-v{profile.version or 'draft'}.{fmt}"
            headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return Response(profile.content, headers=headers)


# One profile in any of its formats: the responses both export endpoints document.
PROFILE_EXPORT_RESPONSES: dict[Any, Any] = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, "text/csv"): OpenApiTypes.STR,
    (200, "text/markdown"): OpenApiTypes.STR,
    304: OpenApiResponse(description="Not modified (ETag matched If-None-Match)."),
    406: OpenApiResponse(description="Unknown format."),
    **_errors(403, 404, 429),
}


class ProfileLatestApi(_ProfileExportApi):
    @extend_schema(
        operation_id="space_profile_latest",
        summary="The latest published value profile of a space",
        description=PROFILE_DOC,
        parameters=[FORMAT_PARAM],
        responses=PROFILE_EXPORT_RESPONSES,
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return super().get(request, **kwargs)

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        space = selectors.space_for_results(user=request.user, space_id=kwargs["space_id"])
        profile = selectors.profile_latest_published(space=space)
        if profile is None:
            raise Http404("This space has no published value profile yet.")
        return profile


class ProfileVersionApi(_ProfileExportApi):
    @extend_schema(
        operation_id="space_profile_version",
        summary="One version of a space's value profile (published or retracted)",
        description=PROFILE_DOC,
        parameters=[FORMAT_PARAM],
        responses=PROFILE_EXPORT_RESPONSES,
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return super().get(request, **kwargs)

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        space = selectors.space_for_results(user=request.user, space_id=kwargs["space_id"])
        return selectors.profile_get_version(space=space, version=kwargs["version"])


class ProfileDraftApi(_ProfileExportApi):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="profile_retrieve",
        summary="Any profile by id, drafts included (facilitators)",
        description=PROFILE_DOC,
        parameters=[FORMAT_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "text/markdown"): OpenApiTypes.STR,
            304: OpenApiResponse(description="Not modified (ETag matched If-None-Match)."),
            406: OpenApiResponse(description="Unknown format."),
            **_errors(401, 403, 404, 429),
        },
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return super().get(request, **kwargs)

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        return selectors.profile_get_for_publisher(
            user=request.user, profile_id=kwargs["profile_id"]
        )


class ProfilePublishApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="profile_publish",
        summary="Publish a draft as the space's next version (facilitators)",
        request=None,
        responses={
            200: ProfileSummarySerializer,
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, profile_id: int) -> Response:
        profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
        try:
            profile = services.profile_publish(profile=profile, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _drf_validation(exc) from None
        return Response(ProfileSummarySerializer(profile).data)


class ProfileRetractApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            max_length=1000, help_text="Public: shown in the decision log."
        )

    @extend_schema(
        operation_id="profile_retract",
        summary="Retract a published version with a public reason (facilitators)",
        request=InputSerializer,
        responses={
            200: ProfileSummarySerializer,
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, space_id: int, version: int) -> Response:
        space = selectors.space_get_for_publishing(user=request.user, space_id=space_id)
        profile = selectors.profile_get_version(space=space, version=version)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            profile = services.profile_retract(
                profile=profile,
                actor=request.user,  # type: ignore[arg-type]
                reason=serializer.validated_data["reason"],
            )
        except ValidationError as exc:
            raise _drf_validation(exc) from None
        return Response(ProfileSummarySerializer(profile).data)
