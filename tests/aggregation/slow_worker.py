"""`python -m tests.aggregation.slow_worker -A config worker ...`: a Celery worker whose
analysis (and Pol.is import) pauses SLOW_ANALYSIS_S seconds once running, so a test can
kill it mid-run."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def main() -> None:
    delay = float(os.environ.get("SLOW_ANALYSIS_S", "0"))
    from aggregation import analysis

    original = analysis.analyze_snapshot

    def slow(snapshot: Any, *, on_stage: Any = None, **options: Any) -> Any:
        if on_stage is not None:
            on_stage("groups")  # the run is visibly under way (heartbeat written)
        time.sleep(delay)
        return original(snapshot, on_stage=on_stage, **options)

    analysis.analyze_snapshot = slow

    # The engine's parser knows no Django, so it can be replaced before the
    # importer (which binds it when Celery loads the apps) is imported.
    from aggregation.engine import polis_csv

    parse = polis_csv.polis_parse

    def slow_parse(**files: Any) -> Any:
        time.sleep(delay)  # the import job is "parsing"; its heartbeat thread beats meanwhile
        return parse(**files)

    polis_csv.polis_parse = slow_parse
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
