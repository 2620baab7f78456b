"""REST API of what the report and the dashboard show: the opinion map, the dashboard counts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aggregation import report_selectors, selectors
from aggregation.naming import group_label, group_letter
from aggregation.report import group_summaries
from aggregation.results import StoredResult
from config.api_errors import error_responses


class MapGroupSerializer(serializers.Serializer[Any]):
    letter = serializers.CharField(help_text='"A", "B", ... as on every page and export.')
    title = serializers.CharField(help_text='"Group A".')
    name = serializers.CharField(
        help_text="What the group stands for, from its most representative statements."
    )
    size = serializers.IntegerField()


class MapPointSerializer(serializers.Serializer[Any]):
    participant = serializers.IntegerField(help_text="The participant's number in the space.")
    x = serializers.FloatField()
    y = serializers.FloatField()
    group = serializers.CharField(allow_null=True, help_text="Group letter, null if in none.")


class MapStatementSerializer(serializers.Serializer[Any]):
    statement = serializers.IntegerField(help_text="The statement's number in the space.")
    x = serializers.FloatField()
    y = serializers.FloatField()


class SpaceMapApi(APIView):
    """The opinion map of the latest analysis: coordinates, groups, per-space numbers only."""

    permission_classes = [permissions.AllowAny]

    class OutputSerializer(serializers.Serializer[Any]):
        # Named apart from other views' OutputSerializer in the OpenAPI components.
        class Meta:
            ref_name = "SpaceMap"

        analysis_run = serializers.IntegerField(allow_null=True)
        computed_at = serializers.DateTimeField(allow_null=True)
        sign = serializers.CharField(
            allow_null=True,
            help_text="Orientation of the plane: Pol.is's (agree = -1) principal components.",
        )
        groups = MapGroupSerializer(many=True)
        participants = MapPointSerializer(many=True)
        statements = MapStatementSerializer(many=True)

    @extend_schema(
        operation_id="space_map_retrieve",
        summary="The opinion map of a space's latest analysis",
        description=(
            "Every participant placed by the latest analysis, as the space's participant "
            "number with 2-D coordinates (the first two principal components of the votes, "
            "as in Pol.is) and the letter of their opinion group; the statements' projections "
            "on the same plane; each group's letter, name and size. Readable by whoever may "
            "see the space's results. `groups`, `participants` and `statements` are empty "
            "before the first analysis, or for an analysis stored before maps were kept."
        ),
        responses={200: OutputSerializer, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = selectors.space_for_results(user=request.user, space_id=space_id)
        run = report_selectors.latest_succeeded_run(space=space)
        result = run.result if run is not None and isinstance(run.result, dict) else {}
        stored = StoredResult.from_json(result)
        plane = stored.map
        n_groups = len(stored.groups)
        texts = report_selectors.accepted_texts(space=space) if result else {}
        groups = [
            {
                "letter": g.letter,
                "title": group_label(g.style.index),
                "name": g.name,
                "size": g.size,
            }
            for g in (group_summaries(stored, texts) if plane else [])
        ]
        participants = []
        for key, xy in sorted(plane.get("participants", {}).items(), key=lambda i: int(i[0])):
            g = stored.participants.get(int(key))
            participants.append(
                {
                    "participant": int(key),
                    "x": xy[0],
                    "y": xy[1],
                    "group": group_letter(g) if isinstance(g, int) and g < n_groups else None,
                }
            )
        statements = [
            {"statement": int(key), "x": xy[0], "y": xy[1]}
            for key, xy in sorted(plane.get("statements", {}).items(), key=lambda i: int(i[0]))
        ]
        data = {
            "analysis_run": run.pk if run else None,
            "computed_at": run.finished_at if run else None,
            "sign": plane.get("sign"),
            "groups": groups,
            "participants": participants,
            "statements": statements,
        }
        return Response(self.OutputSerializer(data).data)


class DashboardCountsSerializer(serializers.Serializer[Any]):
    participants = serializers.IntegerField()
    voters = serializers.IntegerField()
    votes = serializers.IntegerField(help_text="Latest votes (one per person and statement).")
    statements = serializers.IntegerField(help_text="Accepted statements.")
    statements_pending = serializers.IntegerField()
    arguments_pending = serializers.IntegerField()
    flags_open = serializers.IntegerField()
    comparisons = serializers.IntegerField()
    ballots = serializers.IntegerField()


class ActivityBucketSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(help_text='e.g. "30 Nov 2026" or "Nov 2026".')
    votes = serializers.IntegerField(help_text="Vote events (votes and changes) in the bucket.")


class ActivitySerializer(serializers.Serializer[Any]):
    bucket = serializers.CharField(help_text="hour, day, week, month or year.")
    series = ActivityBucketSerializer(many=True, help_text="Oldest first, empty buckets included.")


class DashboardRunSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    stage = serializers.CharField()
    trigger = serializers.CharField()
    created_at = serializers.DateTimeField()
    duration_seconds = serializers.FloatField(allow_null=True)


class SpaceDashboardApi(APIView):
    """The facilitator dashboard's figures."""

    permission_classes = [permissions.IsAuthenticated]

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "SpaceDashboard"

        counts = DashboardCountsSerializer()
        activity = ActivitySerializer(allow_null=True)
        latest_run = DashboardRunSerializer(allow_null=True)
        draft_profile = serializers.IntegerField(
            allow_null=True, help_text="Id of the draft waiting for review, if any."
        )
        draft_changes = serializers.DictField(
            child=serializers.IntegerField(),
            help_text="How many values publishing the draft would add, remove, move, reclass.",
        )
        published_version = serializers.IntegerField(allow_null=True)

    @extend_schema(
        operation_id="space_dashboard_retrieve",
        summary="Participation, moderation and analysis figures of a space (facilitators)",
        responses={200: OutputSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, space_id: int) -> Response:
        space = report_selectors.space_for_dashboard(user=request.user, space_id=space_id).space
        board = report_selectors.dashboard(space=space)
        run = board.latest_run
        data = {
            "counts": board.counts.as_dict(),
            "activity": (
                {
                    "bucket": board.activity.bucket,
                    "series": [{"period": b.label, "votes": b.count} for b in board.activity.bars],
                }
                if board.activity
                else None
            ),
            "latest_run": (
                {
                    "id": run.pk,
                    "status": run.status,
                    "stage": run.stage,
                    "trigger": run.trigger,
                    "created_at": run.created_at,
                    "duration_seconds": board.run_seconds,
                }
                if run
                else None
            ),
            "draft_profile": board.draft.pk if board.draft else None,
            "draft_changes": board.diff_counts,
            "published_version": board.published.version if board.published else None,
        }
        return Response(self.OutputSerializer(data).data)
