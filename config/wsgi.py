import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: the handler reads settings and URLs.
from elicitation.apis.votes import VoteHandler  # noqa: E402

vote_application = VoteHandler(full=django_application)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Votes (POST /api/v1/spaces/<id>/votes/) to their own handler, the rest to Django's.

    Both are Django handlers; the vote handler runs only the security
    middleware (elicitation/apis/votes.py says why and what it measured).
    """
    if vote_application.routes(environ):
        return vote_application(environ, start_response)
    return django_application(environ, start_response)
