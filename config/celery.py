"""The Celery application; configuration comes from Django settings (CELERY_*)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One BLAS thread per worker process: the engine's small dense solves run
# many times slower when OpenBLAS threads spin against each other on a busy
# machine (measured by the engine benchmarks), and workers scale by processes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

app = Celery("polyphony")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
