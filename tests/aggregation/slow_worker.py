"""`python -m tests.aggregation.slow_worker -A config worker ...`: a Celery worker whose
analysis pauses SLOW_ANALYSIS_S seconds once running, so a test can kill it mid-run."""

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
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
