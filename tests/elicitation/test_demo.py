from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from aggregation.models import ValueProfile
from elicitation import demo
from elicitation.models import Comparison, RankingEntry, Space, StatementTranslation, Vote

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_login_opinion_groups_and_a_published_profile_and_loads_once() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "published value profile v1" in out.getvalue()
    assert authenticate(username=demo.DEMO_USERNAME, password=demo.DEMO_PASSWORD) is not None

    space = Space.objects.get(community__slug=demo.DEMO_COMMUNITY_SLUG)
    assert space.phase == Space.Phase.OPEN
    assert Vote.objects.filter(statement__space=space).count() > 500
    assert Comparison.objects.filter(participant__space=space).exists()
    assert RankingEntry.objects.filter(ranking__participant__space=space).exists()
    profile = ValueProfile.objects.get(space=space, status=ValueProfile.Status.PUBLISHED)
    assert profile.version == 1
    assert len(profile.content["opinion_groups"]) >= 2

    assert set(space.translations.values_list("language", flat=True)) == {"de", "fr", "es"}
    german = StatementTranslation.objects.filter(statement__space=space, language="de")
    assert german.count() == len(demo.DEMO_STATEMENT_TRANSLATIONS)

    again = StringIO()
    german.first().delete()  # type: ignore[union-attr]  # an older demo lacks some
    call_command("load_demo", stdout=again)
    assert "Reused" in again.getvalue()
    assert ValueProfile.objects.filter(space=space).count() == 1
    assert german.count() == len(demo.DEMO_STATEMENT_TRANSLATIONS)
