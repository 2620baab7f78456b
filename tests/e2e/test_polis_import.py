"""A facilitator uploads a Pol.is export in Chromium and follows the import on its progress page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from communities.roles import Role
from elicitation.models import PolisImport, Space
from elicitation.polis import jobs
from tests.e2e.axe import assert_accessible
from tests.elicitation.polis_files import comments_rows, csv_bytes, good_files, votes_rows
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.requirements import needs_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), needs_axe]

ARTIFACTS = settings.VAR_DIR / "artifacts" / "e2e"
WIDTHS = (1280, 390)


def _look(page: Any, name: str) -> None:
    """At each width: nothing to scroll sideways, no serious axe finding, a screenshot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert_accessible(page, name=f"{name} at {width} px")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def _upload(page: Any, folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        (folder / name).write_bytes(content)
    page.get_by_label("comments.csv").set_input_files(str(folder / "comments.csv"))
    page.get_by_label("votes.csv", exact=True).set_input_files(str(folder / "votes.csv"))
    page.get_by_role("button", name="Upload and import").click()


def test_a_facilitator_uploads_an_export_and_the_progress_page_leads_to_the_space(
    page: Any, log_in: Any, tmp_path: Path, settings: Any
) -> None:
    settings.POLIS_UPLOAD_DIR = tmp_path / "uploads"
    community = CommunityFactory.create(name="Riverside Commons")
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    log_in(page, user)

    page.goto(f"/c/{community.slug}/import/polis/")
    _look(page, "polis-upload")
    files = good_files()
    _upload(page, tmp_path, {"comments.csv": files["comments"], "votes.csv": files["votes"] or b""})

    page.get_by_text("Waiting for a worker").first.wait_for()
    job = PolisImport.objects.get(requested_by=user)
    assert page.url.endswith(job.get_absolute_url())
    _look(page, "polis-progress-queued")

    # What a worker does; the page, polling every 2 s, shows the outcome by itself.
    jobs.polis_import_execute(job_id=job.pk)
    page.get_by_role("link", name="Go to the new space").wait_for(timeout=15_000)
    _look(page, "polis-progress-done")
    page.get_by_role("link", name="Go to the new space").click()
    space = Space.objects.get(community=community)
    page.wait_for_url(f"**{space.get_absolute_url()}")


def test_a_malformed_upload_shows_where_the_file_is_wrong(
    page: Any, log_in: Any, tmp_path: Path, settings: Any
) -> None:
    settings.POLIS_UPLOAD_DIR = tmp_path / "uploads"
    community = CommunityFactory.create()
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.OWNER)
    log_in(page, user)
    rows = votes_rows()
    rows[3][4] = "7"
    page.goto(f"/c/{community.slug}/import/polis/")
    _upload(
        page, tmp_path, {"comments.csv": csv_bytes(comments_rows()), "votes.csv": csv_bytes(rows)}
    )
    page.get_by_text("Waiting for a worker").first.wait_for()

    jobs.polis_import_execute(job_id=PolisImport.objects.get(requested_by=user).pk)

    alert = page.locator("#polis-import-error")
    alert.wait_for(timeout=15_000)
    assert "votes.csv, line 4, column 5 (vote): vote '7' is not 1" in alert.inner_text()
    _look(page, "polis-progress-failed")
