import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: the lane reads settings and URLs.
from elicitation.vote_lane import VoteLane  # noqa: E402

# Plain token-holder votes are answered in front of Django's stack (see the module).
application = VoteLane(django_application)
