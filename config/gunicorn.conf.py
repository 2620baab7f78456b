"""gunicorn settings of the web service: docker-compose, the Dockerfile, benchmarks/votes_load.py.

gevent workers: each worker serves its connections from one thread, switching
between them while they wait on the network, PostgreSQL or Redis. On the vote
load benchmark (2 cores, 50 clients) they cost about 1.0 ms of CPU per vote
against 1.3-1.6 ms for gthread workers (2 x 8 threads), whose every request
crosses between the accepting thread and a pool thread and contends for the
GIL, and sync workers cannot keep connections alive. psycopg and redis-py
detect gevent's patched sockets and yield while they wait.

Database connections come from psycopg's pool (settings.DB_POOL_MAX_SIZE per
worker process): workers x DB_POOL_MAX_SIZE bounds the PostgreSQL connections
of the web service, whatever its clients do. Without the pool Django keeps a
connection per greenlet, that is per client connection, and clients opening
a new connection per request left them open until the garbage collector ran.
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


def _hide_server_header() -> None:
    """Send no `Server: gunicorn` header (it told every client the software in front).

    gunicorn writes the header itself and has no setting for it; its
    Response.default_headers is the one place, so the line is dropped there.
    """
    from gunicorn.http import wsgi

    default_headers = wsgi.Response.default_headers
    if getattr(default_headers, "hides_server", False):
        return

    def without_server(self: wsgi.Response) -> list[str]:
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    without_server.hides_server = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = without_server


_hide_server_header()
