"""The latest stored analysis of a space, as participants' pages read it."""

from __future__ import annotations

from typing import Any

from elicitation.models import Space


def latest_analysis_result(*, space: Space) -> dict[str, Any] | None:
    """The `result` of the space's latest succeeded analysis run, if it is a dict."""
    from aggregation.models import AnalysisRun

    result = (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-created_at", "-id")
        .values_list("result", flat=True)
        .first()
    )
    return result if isinstance(result, dict) else None


def latest_routing(*, space: Space) -> list[int]:
    """Statement numbers by routing priority (highest first) from the latest
    succeeded analysis; [] without one. Reads only the run's compact `routing`
    field, never its result."""
    from aggregation.models import AnalysisRun

    routing = (
        AnalysisRun.objects.filter(space=space, status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-created_at", "-id")
        .values_list("routing", flat=True)
        .first()
    )
    if not isinstance(routing, list):
        return []
    return [number for number in routing if isinstance(number, int)]
