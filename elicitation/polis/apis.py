"""REST endpoint: a space as a Pol.is export (zip of CSV files)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from communities.roles import Action
from config.api_errors import ErrorOutputSerializer, error_responses
from elicitation.polis.exporter import ExportMode
from elicitation.polis.views import export_mode_parse, polis_zip_response
from elicitation.selectors import space_access


class ZipRenderer(BaseRenderer):
    """Lets clients send `Accept: application/zip`.

    The success response is built as bytes by the view; only error bodies
    pass through a renderer, and those stay JSON so a client can read them.
    """

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode("utf-8")


class SpacePolisExportApi(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        operation_id="space_export_polis",
        summary="Export a space as a Pol.is CSV bundle",
        description=(
            "A zip archive holding comments.csv, votes.csv (the full vote history), "
            "participants-votes.csv (latest votes, with the opinion group of the latest "
            "succeeded analysis) and summary.csv, in Pol.is's export format. Participants "
            "appear only as per-space integers. Facilitators and owners of the community only; "
            "log in with a session or send `Authorization: Token <key>`. The texts are written "
            "exactly as stored (`mode=exact`, the default: what tools and a re-import need); "
            "`mode=safe` prefixes text cells starting with = + - @, a tab or a carriage return "
            "with a single quote, so a spreadsheet shows them as text instead of running them."
        ),
        parameters=[
            OpenApiParameter(
                "mode",
                str,
                enum=[m.value for m in ExportMode],
                default=ExportMode.EXACT.value,
                description="exact (default): texts as stored; safe: formula cells neutralised "
                "for spreadsheets.",
            )
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The zip archive."
            ),
            **error_responses(
                400,
                401,
                403,
                404,
                429,
                specific={
                    403: OpenApiResponse(
                        ErrorOutputSerializer,
                        description="Your role does not allow exporting this space.",
                    )
                },
            ),
        },
    )
    def get(self, request: Request, space_id: int) -> Any:
        space = space_access(user=request.user, space_id=space_id, action=Action.CREATE_SPACE).space
        mode = export_mode_parse(request.query_params.get("mode"), default=ExportMode.EXACT)
        return polis_zip_response(space, mode)
