"""A second upload of the same Pol.is conversation waits and asks before a second copy."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from communities.models import Community
from communities.roles import Role
from elicitation import polis
from elicitation.models import PolisImport, Space
from elicitation.polis import jobs
from tests.elicitation.polis_files import good_files, post_good_files
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db


def facilitator_client(community: Community) -> Client:
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, community: Community) -> PolisImport:
    """Upload the good files and run the job as the worker would; the job."""
    response = post_good_files(client, community)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = PolisImport.objects.latest("id")
    jobs.polis_import_execute(job_id=job.pk)
    job.refresh_from_db()
    return job


def decide(client: Client, job: PolisImport, decision: str) -> PolisImport:
    response = client.post(
        reverse(
            "elicitation:polis_import_job_decide",
            kwargs={"slug": job.community.slug, "job_id": job.pk},
        ),
        {"decision": decision},
    )
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    return job


def test_a_second_upload_of_the_same_export_waits_for_confirmation_and_creates_nothing() -> None:
    community = CommunityFactory.create()
    client = facilitator_client(community)
    assert upload(client, community).status == PolisImport.Status.DONE
    first = Space.objects.get(community=community)

    again = upload(client, community)

    assert again.status == PolisImport.Status.DUPLICATE
    assert again.duplicate_of == first
    html = client.get(again.get_absolute_url()).content.decode()
    assert f"already space {first.pk}" in html
    assert "Import a second copy anyway" in html
    assert Space.objects.filter(community=community).count() == 1
    assert jobs.upload_folder(again.pk).is_dir(), "the files wait for the decision"

    confirmed = decide(client, again, "copy")
    assert confirmed.status == PolisImport.Status.QUEUED
    assert confirmed.second_copy
    jobs.polis_import_execute(job_id=again.pk)
    confirmed.refresh_from_db()
    assert confirmed.status == PolisImport.Status.DONE
    assert Space.objects.filter(community=community).count() == 2
    assert not jobs.upload_folder(again.pk).exists()


def test_a_cancelled_duplicate_removes_its_files_and_imports_nothing() -> None:
    community = CommunityFactory.create()
    client = facilitator_client(community)
    upload(client, community)
    again = upload(client, community)

    cancelled = decide(client, again, "cancel")

    assert cancelled.status == PolisImport.Status.FAILED
    assert "Cancelled" in cancelled.error
    assert not jobs.upload_folder(again.pk).exists()
    assert Space.objects.filter(community=community).count() == 1
    assert decide(client, cancelled, "copy").status == PolisImport.Status.FAILED


def test_the_checkbox_is_not_offered_on_the_upload_form() -> None:
    community = CommunityFactory.create()
    client = facilitator_client(community)
    page = client.get(reverse("elicitation:polis_import", kwargs={"slug": community.slug}))
    assert "Import a second copy anyway" not in page.content.decode()


def test_the_same_export_in_another_community_is_not_a_duplicate() -> None:
    first, second = CommunityFactory.create(), CommunityFactory.create()
    polis.space_import_polis(community=first, actor=None, **good_files())

    polis.space_import_polis(community=second, actor=None, **good_files())

    assert Space.objects.filter(community=second).count() == 1


def test_a_changed_comment_is_another_conversation() -> None:
    community = CommunityFactory.create()
    polis.space_import_polis(community=community, actor=None, **good_files())
    files = good_files()
    files["comments"] = files["comments"].replace(b"Rivers", b"Streams", 1)
    assert files["comments"] != good_files()["comments"]

    polis.space_import_polis(community=community, actor=None, **files)

    assert Space.objects.filter(community=community).count() == 2


def test_the_command_refuses_a_second_copy_unless_asked() -> None:
    community = CommunityFactory.create(slug="seattle")
    folder = str(polis_folder("15-per-hour-seattle"))
    call_command("import_polis", folder, "--community", "seattle", stdout=StringIO())

    with pytest.raises(CommandError, match=r"already space \d+ .*\(--second-copy\)"):
        call_command("import_polis", folder, "--community", "seattle", stdout=StringIO())
    assert Space.objects.filter(community=community).count() == 1

    call_command(
        "import_polis", folder, "--community", "seattle", "--second-copy", stdout=StringIO()
    )
    assert Space.objects.filter(community=community).count() == 2
