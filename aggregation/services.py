"""Every write of the aggregation app."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from aggregation.models import AnalysisRun


def run_reap_stale(*, max_silence_s: int) -> int:
    """Mark running runs failed when their heartbeat is older than `max_silence_s`.

    A worker killed mid-run (OOM, deploy, hard time limit) never gets to record
    a failure; without this its run would stay "running" and block the space's
    next run (one active run per space). Returns how many runs were reaped.
    """
    cutoff = timezone.now() - timedelta(seconds=max_silence_s)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    return AnalysisRun.objects.filter(stale, status=AnalysisRun.Status.RUNNING).update(
        status=AnalysisRun.Status.FAILED,
        error=f"The worker stopped responding (no heartbeat for {max_silence_s} s); "
        "the run was marked failed and can be started again.",
        finished_at=timezone.now(),
    )
