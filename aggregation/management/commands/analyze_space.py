"""Run one whole analysis of a space in this process, as a worker would."""

from __future__ import annotations

import json
import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aggregation import services
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.tasks import run_analysis
from elicitation.models import Space

# The order stages run in, for the table (timings is a dict keyed by stage).
STAGES = ("reading", "groups", "bridging", "pairwise", "rankings", "bootstrap", "saving")


class Command(BaseCommand):
    help = (
        "Analyse a space now, in this process, through the analysis task's own code "
        "(claim, every stage, result and draft profile); prints the stage timings and "
        "exits non-zero with the reason if the run fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("space_id", type=int)
        parser.add_argument(
            "--json", action="store_true", help="print the figures as one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        space = Space.objects.filter(pk=options["space_id"]).first()
        if space is None:
            raise CommandError(f"No space with id {options['space_id']}")
        run = services.run_request(space=space, trigger=AnalysisRun.Trigger.COMMAND, enqueue=False)
        if run is None:
            active = (
                AnalysisRun.objects.filter(
                    space=space,
                    status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING],
                )
                .values_list("id", "status")
                .first()
            )
            where = f" (run {active[0]} is {active[1]})" if active else ""
            raise CommandError(f"Space {space.pk} already has an analysis queued or running{where}")
        started, cpu_started = time.perf_counter(), time.process_time()
        # Calling the task object runs its body here, with its own error handling.
        run_analysis(run.pk)
        wall_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu_started
        run.refresh_from_db()
        if run.status != AnalysisRun.Status.SUCCEEDED:
            raise CommandError(f"Run {run.pk} of space {space.pk} {run.status}: {run.error}")
        # ru_maxrss is in KiB on Linux.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        draft = ValueProfile.objects.filter(run=run).values_list("id", flat=True).first()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "run": run.pk,
                        "space": space.pk,
                        "wall_s": round(wall_s, 3),
                        "cpu_s": round(cpu_s, 3),
                        "timings": run.timings,
                        "counts": run.counts,
                        "peak_mb": round(peak_mb),
                        "draft_profile": draft,
                    }
                )
            )
            return
        self.stdout.write(
            f"Run {run.pk} of space {space.pk} succeeded in {wall_s:.2f} s ({cpu_s:.2f} s of CPU)"
        )
        counts = run.counts
        self.stdout.write(
            f"{counts.get('votes', 0):,} latest votes, {counts.get('participants', 0):,} "
            f"participants, {counts.get('statements', 0):,} statements in the profile"
        )
        for stage in (*STAGES, *(s for s in run.timings if s not in STAGES)):
            if stage in run.timings:
                self.stdout.write(f"  {stage:<10} {run.timings[stage]:9.3f} s")
        self.stdout.write(f"Peak memory {peak_mb:,.0f} MB; draft profile {draft}")
