"""gunicorn settings of the web service: docker-compose, the Dockerfile, benchmarks/votes_load.py.

gevent workers: each worker serves its connections from one thread, switching
between them while they wait on the network, PostgreSQL or Redis. On the vote
load benchmark (2 cores, 50 clients) they cost about 1.0 ms of CPU per vote
against 1.3-1.6 ms for gthread workers (2 x 8 threads), whose every request
crosses between the accepting thread and a pool thread and contends for the
GIL, and sync workers cannot keep connections alive. psycopg and redis-py
detect gevent's patched sockets and yield while they wait.

Django keeps one database connection per greenlet, that is per open client
connection, so workers x worker_connections bounds the PostgreSQL connections
the web service can open: keep it below max_connections, less what the
Celery workers use (docker-compose raises max_connections to 300).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "gevent"
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "100"))
# Keep-alive connections from clients or a proxy (seconds).
keepalive = 30
backlog = 2048
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker: object) -> None:
    """Move what loading Django created out of the garbage collector's sight.

    The full collections that Python runs now and then otherwise walk every
    object of the loaded project (hundreds of thousands), pausing all of a
    gevent worker's requests at once.
    """
    import gc

    gc.freeze()
