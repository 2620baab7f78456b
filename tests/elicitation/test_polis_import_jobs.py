"""Pol.is uploads as background jobs: limits before the body is read, progress, the reaper."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.db import IntegrityError, transaction
from django.http import multipartparser
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from communities.models import Community
from communities.roles import Role
from elicitation.models import PolisImport, Space
from elicitation.polis import jobs
from elicitation.polis.forms import UploadLimit
from tests.elicitation.polis_files import good_files, post_good_files
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _facilitator(community: Community | None = None) -> tuple[Client, User, Community]:
    community = community or CommunityFactory.create()
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    client = Client()
    client.force_login(user)
    return client, user, community


_post = post_good_files


@pytest.fixture
def body_must_stay_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything parses the multipart body."""

    def refuse(self: object) -> None:
        raise AssertionError("the upload's body was read")

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", refuse)


def _job(user: User, community: Community, status: str, **fields: Any) -> PolisImport:
    return PolisImport.objects.create(
        community=community, requested_by=user, status=status, **fields
    )


# --- Size limit --------------------------------------------------------------------


def test_an_upload_over_the_size_limit_is_refused_before_its_body_is_read(
    settings: Any, body_must_stay_unread: None
) -> None:
    settings.POLIS_UPLOAD_MAX_BYTES = 1024
    client, _, community = _facilitator()
    files = good_files()
    response = client.post(
        reverse("elicitation:polis_import", kwargs={"slug": community.slug}),
        {
            "comments": SimpleUploadedFile("comments.csv", files["comments"] * 10),
            "votes": SimpleUploadedFile("votes.csv", files["votes"] or b""),
        },
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "The upload is larger than 1.0\xa0KB (all files together)" in html
    assert "nothing was stored" in html
    assert not PolisImport.objects.exists()
    assert not Path(settings.POLIS_UPLOAD_DIR).exists()


def test_the_size_limit_counts_bytes_as_they_arrive_and_stops_reading_past_it() -> None:
    limit = UploadLimit(RequestFactory().post("/"), 10)
    assert limit.receive_data_chunk(b"12345", 0) == b"12345"
    assert limit.receive_data_chunk(b"12345", 5) == b"12345"
    with pytest.raises(StopUpload) as stopped:
        limit.receive_data_chunk(b"1", 10)
    assert stopped.value.connection_reset
    assert limit.exceeded


def test_an_upload_within_the_limit_goes_to_disk_not_to_memory(settings: Any) -> None:
    # Django keeps uploads under FILE_UPLOAD_MAX_MEMORY_SIZE in memory; this view never does.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
    client, _, community = _facilitator()
    assert _post(client, community).status_code == 302
    job = PolisImport.objects.get()
    assert (jobs.upload_folder(job.pk) / "comments.csv").read_bytes() == good_files()["comments"]


# --- Per-person limits -------------------------------------------------------------


def test_a_second_upload_while_one_is_running_is_refused_unread(
    body_must_stay_unread: None,
) -> None:
    client, user, community = _facilitator()
    running = _job(user, community, PolisImport.Status.PARSING)

    response = _post(client, community)

    assert response.status_code == 409
    html = response.content.decode()
    assert "You already have a Pol.is import running" in html
    assert f'href="{running.get_absolute_url()}"' in html
    assert PolisImport.objects.count() == 1


def test_the_daily_limit_refuses_the_next_upload_and_says_when_it_is_possible_again(
    settings: Any, body_must_stay_unread: None
) -> None:
    settings.POLIS_IMPORTS_PER_DAY = 3
    client, user, community = _facilitator()
    now = timezone.now()
    _job(user, community, PolisImport.Status.FAILED, created_at=now - timedelta(hours=30))
    first = _job(user, community, PolisImport.Status.DONE, created_at=now - timedelta(hours=20))
    for hours in (5, 1):
        _job(user, community, PolisImport.Status.DONE, created_at=now - timedelta(hours=hours))

    response = _post(client, community, HTTP_HX_REQUEST="true")

    assert response.status_code == 429
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert "You have started 3 Pol.is imports in the last 24 hours" in html
    free_at = (first.created_at + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert f"after {free_at} UTC" in html
    assert PolisImport.objects.count() == 4


def test_the_limits_are_per_person() -> None:
    _client, user, community = _facilitator()
    _job(user, community, PolisImport.Status.QUEUED)
    other, _, _ = _facilitator(community)
    assert _post(other, community).status_code == 302


def test_the_database_allows_one_running_import_per_person() -> None:
    user = UserFactory.create()
    community = CommunityFactory.create()
    _job(user, community, PolisImport.Status.QUEUED)
    _job(user, community, PolisImport.Status.DONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        _job(user, community, PolisImport.Status.IMPORTING)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.OBSERVER])
def test_only_facilitators_and_owners_may_upload_and_they_are_refused_unread(
    role: Role, body_must_stay_unread: None
) -> None:
    community = CommunityFactory.create()
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=role)
    client = Client()
    client.force_login(user)
    assert _post(client, community).status_code == 403
    assert not PolisImport.objects.exists()


def test_the_upload_checks_the_csrf_token_itself() -> None:
    community = CommunityFactory.create()
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.OWNER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert _post(client, community).status_code == 403
    assert not PolisImport.objects.exists()


# --- The progress page -------------------------------------------------------------


def test_the_progress_page_follows_the_job_through_its_stages() -> None:
    client, _user, community = _facilitator()
    assert _post(client, community).status_code == 302
    job = PolisImport.objects.get()
    url = job.get_absolute_url()

    queued = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in queued
    assert "Waiting for a worker" in queued
    assert "comments.csv (" in queued

    PolisImport.objects.filter(pk=job.pk).update(status=PolisImport.Status.PARSING)
    parsing = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Reading the files (now)</strong>" in parsing
    assert 'aria-valuenow="33"' in parsing

    PolisImport.objects.filter(pk=job.pk).update(status=PolisImport.Status.QUEUED)
    assert jobs.polis_import_execute(job_id=job.pk)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    space = Space.objects.get(community=community)
    assert f'href="{space.get_absolute_url()}"' in done
    assert 'aria-valuenow="100"' in done
    assert "hx-get" not in done


def test_someone_elses_import_page_is_not_found_and_a_member_is_forbidden() -> None:
    _client, user, community = _facilitator()
    job = _job(user, community, PolisImport.Status.QUEUED)
    colleague, _, _ = _facilitator(community)
    assert colleague.get(job.get_absolute_url()).status_code == 404
    member = UserFactory.create()
    MembershipFactory.create(user=member, community=community, role=Role.MEMBER)
    as_member = Client()
    as_member.force_login(member)
    assert as_member.get(job.get_absolute_url()).status_code == 403
    anonymous = Client().get(job.get_absolute_url())
    assert anonymous.status_code == 302


# --- A worker that dies, a broker that was down, leftovers ----------------------------


def _stale(job: PolisImport, status: str, attempts: int) -> None:
    long_ago = timezone.now() - timedelta(minutes=5)
    PolisImport.objects.filter(pk=job.pk).update(
        status=status, attempts=attempts, started_at=long_ago, heartbeat_at=long_ago
    )


def test_a_job_whose_worker_died_is_retried_once_then_failed_never_stuck(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(jobs, "polis_import_enqueue", lambda *, job_id: sent.append(job_id))
    client, _user, community = _facilitator()
    assert _post(client, community).status_code == 302
    job = PolisImport.objects.get()
    _stale(job, PolisImport.Status.IMPORTING, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.polis_import_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == PolisImport.Status.QUEUED
    assert "stopped responding while importing" in job.error
    assert "attempt 2 of 2" in job.error
    assert sent == [job.pk]
    assert jobs.upload_folder(job.pk).is_dir(), "the retry needs the files"

    _stale(job, PolisImport.Status.PARSING, attempts=2)
    assert jobs.polis_import_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == PolisImport.Status.FAILED
    assert "stopped responding while reading the files" in job.error
    assert "nothing was imported" in job.error
    assert not jobs.upload_folder(job.pk).exists()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "stopped responding" in page
    # The person may upload again: a failed job does not count as running.
    assert _post(client, community).status_code == 302


def test_a_live_job_is_left_alone_and_a_lost_one_is_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[int] = []

    def enqueue(*, job_id: int) -> bool:
        sent.append(job_id)
        return True

    monkeypatch.setattr(jobs, "polis_import_enqueue", enqueue)
    user = UserFactory.create()
    community = CommunityFactory.create()
    live = _job(user, community, PolisImport.Status.PARSING, heartbeat_at=timezone.now())
    assert jobs.polis_import_reap_stale() == 0
    live.refresh_from_db()
    assert live.status == PolisImport.Status.PARSING

    other = UserFactory.create()
    lost = _job(
        other, community, PolisImport.Status.QUEUED, created_at=timezone.now() - timedelta(hours=1)
    )
    assert jobs.polis_imports_requeue_lost() == 1
    assert sent == [lost.pk]


def test_clean_up_expires_unconfirmed_duplicates_and_removes_leftover_folders(
    settings: Any,
) -> None:
    user = UserFactory.create()
    community = CommunityFactory.create()
    old = timezone.now() - timedelta(days=2)
    waiting = _job(user, community, PolisImport.Status.DUPLICATE, finished_at=old)
    fresh = _job(user, community, PolisImport.Status.DUPLICATE, finished_at=timezone.now())
    for job_id in (waiting.pk, fresh.pk, 999):
        jobs.upload_folder(job_id).mkdir(parents=True)
    young = jobs.upload_folder(1000)
    young.mkdir()
    hour_ago = time.time() - 3600
    for job_id in (waiting.pk, fresh.pk, 999):
        os.utime(jobs.upload_folder(job_id), (hour_ago, hour_ago))

    assert jobs.polis_imports_clean_up() == 2

    waiting.refresh_from_db()
    assert waiting.status == PolisImport.Status.FAILED
    assert "Not confirmed within a day" in waiting.error
    assert not jobs.upload_folder(waiting.pk).exists()
    assert not jobs.upload_folder(999).exists()
    assert jobs.upload_folder(fresh.pk).is_dir()
    assert young.is_dir(), "a folder whose job may not be committed yet stays"
