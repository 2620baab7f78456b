"""On the demo and on a real Pol.is conversation (vTaiwan), no statement with fewer
voters than the space's minimum is ranked among the profile's values."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from aggregation import profiles
from aggregation.models import ValueProfile
from communities.models import Community
from elicitation import demo
from elicitation.models import Space, Statement
from tests.aggregation.conftest import analysed
from tests.factories import CommunityFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db


def voters_per_statement(space: Space) -> dict[int, int]:
    return dict(
        Statement.objects.filter(space=space, status="accepted", is_meta=False)
        .annotate(n=Count("votes"))
        .values_list("number", "n")
    )


def check_minimum(space: Space, content: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.validate(content, profiles.json_schema())
    voters = voters_per_statement(space)
    minimum = space.min_voters
    ranked = [v["statement"] for v in content["values"]]
    assert ranked, "the profile ranks nothing"
    assert all(voters[n] >= minimum for n in ranked)
    assert all(v["support"]["votes"] >= minimum for v in content["values"])
    assert {f["statement"] for f in content["too_few_votes"]} == {
        n for n, count in voters.items() if count < minimum
    }
    for v in content["values"]:
        low, high = v["support"]["agree_rate_interval"]
        assert low <= v["support"]["agree_rate"] <= high
        # No zero-width certainty at these sizes.
        assert high - low > 0


def test_the_demo_ranks_no_statement_below_the_minimum() -> None:
    call_command("load_demo", stdout=StringIO())
    space = Space.objects.get(community__slug=demo.DEMO_COMMUNITY_SLUG)
    analysed(space)

    check_minimum(space, ValueProfile.objects.get(space=space, status="draft").content)


def test_vtaiwan_ranks_no_statement_below_the_minimum() -> None:
    folder = polis_folder("vtaiwan.uberx")
    community = CommunityFactory.create(slug="vtaiwan", visibility=Community.Visibility.PUBLIC)
    call_command("import_polis", str(folder), "--community", community.slug, stdout=StringIO())
    space = Space.objects.get(community=community)
    analysed(space)

    content = ValueProfile.objects.get(space=space, status="draft").content
    check_minimum(space, content)
    # Its thinly voted comments are the rejected ones; raising the minimum
    # moves the accepted thin ones out of the ranking too.
    Space.objects.filter(pk=space.pk).update(min_voters=100)
    space.refresh_from_db()
    analysed(space)
    content = ValueProfile.objects.get(space=space, status="draft").content
    check_minimum(space, content)
    assert content["too_few_votes"]
