"""The run page's details follow the run while it is polled, not only its status."""

from __future__ import annotations

import pytest
from django.test import Client

from aggregation import services
from aggregation.models import AnalysisRun
from communities.roles import Role
from tests.aggregation.conftest import member_of
from tests.aggregation.data import populate
from tests.factories import SpaceFactory

pytestmark = pytest.mark.django_db


def test_each_poll_brings_the_details_along_out_of_band() -> None:
    space = populate(SpaceFactory.create(), participants=8, statements=4).space
    run = services.run_request(space=space, trigger=AnalysisRun.Trigger.MANUAL)
    assert run is not None
    client = Client()
    client.force_login(member_of(space, Role.FACILITATOR))
    url = f"/analysis/runs/{run.pk}/"

    page = client.get(url).content.decode()
    assert page.count('id="run-details"') == 1
    assert "hx-swap-oob" not in page

    services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    poll = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="run-status"' in poll
    assert '<section id="run-details" aria-labelledby="details-title" hx-swap-oob="true">' in poll
    assert run.engine_version in poll
    assert run.input_fingerprint in poll
