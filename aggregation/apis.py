"""REST API of the aggregation app: analysis runs and value-profile exports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aggregation import exports, profiles, selectors, services
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.renderers import FORMATS, PROFILE_RENDERERS, ProfileNegotiation
from aggregation.results import StoredResult
from communities.selectors import community_get_visible
from config.api_errors import error_responses
from config.pagination import LimitOffsetPagination
from elicitation.models import Space

_errors = error_responses


FORMAT_PARAM = OpenApiParameter(
    "format",
    str,
    enum=list(FORMATS),
    description="json (default, schema value-profile/1), csv (one row per value), md "
    "(a readable charter); for AI work: constitution (JSON, value-constitution/1), "
    "constitution-md (the same as text), preferences (JSON Lines, preference-record/1: "
    "pairwise choices and ballots as prompt/chosen/rejected) or eval (JSON Lines, "
    "pluralistic-eval-record/1: answer distributions overall, per group and per segment). "
    "An Accept header works for json, csv and md.",
)
PROFILE_DOC = (
    "The value profile in schema value-profile/1 (JSON Schema at "
    "/api/v1/schemas/value-profile-1.json), its CSV or Markdown rendering, or one of the "
    "exports for AI work (their JSON Schemas are under /api/v1/schemas/ too). "
    "Send the ETag back in If-None-Match to get 304 Not Modified when nothing changed."
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
                    "detail": _(
                        "A run of this space is already queued or running; wait for it to finish."
                    ),
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


# The Markdown formats' headings follow the active language: another language
# is another representation, so it gets another ETag (English keeps its tags).
MARKDOWN_FORMATS = ("md", "constitution-md")


def _etag_format(fmt: str) -> str:
    tagged = exports.etag_format(fmt)
    language = translation.get_language()
    if fmt in MARKDOWN_FORMATS and language and language != settings.LANGUAGE_CODE:
        tagged += f"@{language}"
    return tagged


class _ProfileExportApi(APIView):
    """Shared GET: negotiate the format, answer 304 when the ETag matches."""

    permission_classes = [permissions.AllowAny]
    renderer_classes = PROFILE_RENDERERS
    content_negotiation_class = ProfileNegotiation

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        raise NotImplementedError  # each subclass says which profile

    def get(self, request: Request, **kwargs: Any) -> Response:
        profile = self.get_profile(request, **kwargs)
        content = selectors.profile_content(profile=profile)
        fmt = request.accepted_renderer.format
        fmt = "md" if fmt == "markdown" else fmt
        tag = profiles.etag(content, _etag_format(fmt))
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
        stem = f"{profile.space.slug}-v{profile.version or 'draft'}"
        if fmt in ("csv", "md"):
            headers["Content-Disposition"] = f'inline; filename="{stem}.{fmt}"'
        if fmt in exports.AI_FORMATS:
            filename = stem + exports.AI_FORMATS[fmt]
            headers["Content-Disposition"] = f'inline; filename="{filename}"'
            page = request.build_absolute_uri(profile_page_url(profile))
            data = exports.export(
                fmt, content, StoredResult.from_json(profile.run.result), profile_url=page
            )
            if data == []:
                # DRF drops the Content-Type of an empty body; an empty JSON Lines
                # file (a space without comparisons) is still JSON Lines.
                media = f"{request.accepted_renderer.media_type}; charset=utf-8"
                return HttpResponse(b"", content_type=media, headers=headers)  # type: ignore[return-value]
            return Response(data, headers=headers)
        return Response(content, headers=headers)


def profile_page_url(profile: ValueProfile) -> str:
    """Where people read this version (the review page for a draft)."""
    if profile.version is None:
        return reverse("aggregation:profile-review", kwargs={"profile_id": profile.pk})
    return reverse(
        "aggregation:profile-version",
        kwargs={"space_id": profile.space_id, "version": profile.version},
    )


# One profile in any of its formats: the responses the export endpoints document.
PROFILE_EXPORT_RESPONSES: dict[Any, Any] = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, "text/csv"): OpenApiTypes.STR,
    (200, "text/markdown"): OpenApiTypes.STR,
    (200, "application/jsonl"): OpenApiTypes.STR,
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
            raise Http404(_("This space has no published value profile yet."))
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
        responses={**PROFILE_EXPORT_RESPONSES, **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return super().get(request, **kwargs)

    def get_profile(self, request: Request, **kwargs: Any) -> ValueProfile:
        return selectors.profile_get_for_publisher(
            user=request.user, profile_id=kwargs["profile_id"]
        )


class StaleChangeSerializer(serializers.Serializer[Any]):
    statement = serializers.IntegerField(allow_null=True)
    change = serializers.ChoiceField(
        choices=[
            "removed",
            "deleted",
            "marked_meta",
            "unmarked_meta",
            "restored",
            "edited",
            "segments",
            "min_voters",
        ]
    )
    message = serializers.CharField()


class StaleProfileSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="profile_stale, or profile_not_draft.")
    detail = serializers.CharField()
    changes = StaleChangeSerializer(many=True, required=False, help_text="With profile_stale.")
    rerun = serializers.CharField(
        required=False, help_text="With profile_stale: POST here to run the analysis again."
    )


class ProfilePublishApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="profile_publish",
        summary="Publish a draft as the space's next version (facilitators)",
        description="Refused with 409 (code profile_stale) when the space changed since the "
        "draft's analysis in a way that alters the profile: a statement removed, restored, "
        "marked meta or edited, the segment questions or the minimum of voters changed. "
        "Run the analysis again (POST to `rerun`) and review the new draft. Also 409 (code "
        "profile_not_draft, without `changes`) when the profile is already published or "
        "retracted.",
        request=None,
        responses={
            200: ProfileSummarySerializer,
            409: StaleProfileSerializer,
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, profile_id: int) -> Response:
        profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
        try:
            profile = services.profile_publish(profile=profile, actor=request.user)  # type: ignore[arg-type]
        except services.ProfileStale as exc:
            return Response(
                {
                    "code": exc.code,
                    "detail": exc.message,
                    "changes": exc.changes,
                    "rerun": reverse(
                        "aggregation-api:space-runs", kwargs={"space_id": profile.space_id}
                    ),
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(ProfileSummarySerializer(profile).data)


class ProfileEditInputSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Public once published."
    )
    notes = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Statement number -> note; replaces all notes. Public once published.",
    )
    exclusions = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Statement number -> why the value is left out; replaces all "
        "exclusions. The reasons are public once published.",
    )
    principles = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Statement number -> the value's wording as a principle in the "
        "constitution export (blank: the statement as written); replaces all wordings. "
        "Recorded in the decision log when the draft is published.",
    )


class ProfileEditorialSerializer(serializers.ModelSerializer[ValueProfile]):
    class Meta:
        model = ValueProfile
        fields = ["id", "status", "summary", "value_notes", "exclusions", "principle_wordings"]


class ProfileEditApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="profile_edit",
        summary="Set a draft's summary, per-value notes, exclusions and principle wordings "
        "(facilitators)",
        request=ProfileEditInputSerializer,
        responses={200: ProfileEditorialSerializer, **_errors(400, 401, 403, 404, 409, 429)},
    )
    def patch(self, request: Request, profile_id: int) -> Response:
        profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
        serializer = ProfileEditInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = services.profile_edit(
            profile=profile,
            actor=request.user,  # type: ignore[arg-type]
            summary=data.get("summary"),
            notes=data.get("notes"),
            exclusions=data.get("exclusions"),
            principles=data.get("principles"),
        )
        return Response(ProfileEditorialSerializer(profile).data)


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
            **_errors(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, space_id: int, version: int) -> Response:
        space = selectors.space_get_for_publishing(user=request.user, space_id=space_id)
        profile = selectors.profile_get_version(space=space, version=version)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.profile_retract(
            profile=profile,
            actor=request.user,  # type: ignore[arg-type]
            reason=serializer.validated_data["reason"],
        )
        return Response(ProfileSummarySerializer(profile).data)


# --- Comparison ------------------------------------------------------------------

PROFILE_REF_DOC = (
    "A space id (its latest published version) or a space id and a version, as 12:3. "
    "Only profiles you may read."
)


class ProfileCompareApi(APIView):
    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer[Any]):
        a = serializers.CharField(max_length=40, help_text=PROFILE_REF_DOC)
        b = serializers.CharField(max_length=40, help_text=PROFILE_REF_DOC)

    @extend_schema(
        operation_id="profiles_compare",
        summary="Two published value profiles side by side (versions of a space, or two spaces)",
        description=(
            "Values matched by statement number within a space, by text across spaces; "
            "where they agree, where they differ and by how much (schema "
            "profile-comparison/1, JSON Schema at /api/v1/schemas/profile-comparison-1.json)."
        ),
        parameters=[
            OpenApiParameter("a", str, required=True, description=PROFILE_REF_DOC),
            OpenApiParameter("b", str, required=True, description=PROFILE_REF_DOC),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            304: OpenApiResponse(description="Not modified (ETag matched If-None-Match)."),
            **_errors(400, 404, 429),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            a = selectors.profile_ref_parse(params.validated_data["a"], field="a")
            b = selectors.profile_ref_parse(params.validated_data["b"], field="b")
        except ValueError as exc:
            raise ApiValidationError({"detail": str(exc)}) from None
        data = selectors.profile_comparison(user=request.user, a=a, b=b)
        tag = profiles.etag(data, "comparison")
        headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Cookie, Authorization"}
        if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(data, headers=headers)
