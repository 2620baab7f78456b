"""Pol.is uploads imported by a worker: the job, its files, its limits, its reaper.

The web request checks who may import and the limits, stores the files in a
private folder (settings.POLIS_UPLOAD_DIR / job id, never served) and
answers at once with the job's progress page; a Celery task parses the files
as streams and imports them with the same importer as the import_polis
command (one transaction: nothing partial on any error). The job moves
queued -> parsing -> importing -> done (with its space) or failed (with the
parser's message naming file, line and column); a conversation that is
already a space of the community waits for its requester's confirmation
(duplicate). The files are removed once the job is done or failed.

A worker that dies mid-import (killed, out of memory) never records it; its
job stops beating and the housekeeping beat task puts it back in the queue
once, then fails it with the reason, the same pattern as analysis runs
(aggregation.services.run_reap_stale).
"""

from __future__ import annotations

import functools
import logging
import shutil
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.move import file_move_safe
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation.engine.polis_csv import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    SUMMARY,
    VOTES,
    PolisFormatError,
    open_export_folder,
)
from communities.models import Community
from communities.roles import Action, role_allows
from communities.selectors import community_get_visible, membership_for
from config.exceptions import Conflict
from config.heartbeat import Heartbeat, lost_in_queue
from elicitation.models import PolisImport, Space
from elicitation.polis.importer import DuplicateImport, polis_parse_files, space_import_conversation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger(__name__)

# The upload form's fields and the export file each is stored as.
FILE_NAMES = {
    "comments": COMMENTS,
    "votes": VOTES,
    "participants_votes": PARTICIPANTS_VOTES,
    "summary": SUMMARY,
}
HEARTBEAT_S = 15.0
STALE_AFTER_S = 90
MAX_ATTEMPTS = 2
# A queued job the broker never got (it was down) is sent again after this;
# one the broker got but no worker took, after RESEND_AFTER.
LOST_AFTER = timedelta(seconds=60)
RESEND_AFTER = timedelta(minutes=10)
# A duplicate waits this long for "import a second copy" before its files go.
CONFIRM_WITHIN = timedelta(days=1)
# A folder without a waiting job is left alone this long (its job's
# transaction may not have committed yet), then removed.
ORPHAN_AFTER_S = 600
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

RUNNING_CODE = "polis_import_running"
DAILY_LIMIT_CODE = "polis_import_daily_limit"


def upload_folder(job_id: int) -> Path:
    return Path(settings.POLIS_UPLOAD_DIR) / str(job_id)


def _remove_files(job_id: int) -> None:
    shutil.rmtree(upload_folder(job_id), ignore_errors=True)


# --- Reads -----------------------------------------------------------------------


def polis_import_community_for_user(*, user: User | AnonymousUser, slug: str) -> Community:
    """The community if `user` may import into it: facilitators and owners (CREATE_SPACE).

    404 for a community the user may not see; PermissionDenied for a role
    that does not allow it (the same rule as creating a space).
    """
    community = community_get_visible(user=user, slug=slug)
    membership = membership_for(user=user, community=community)
    if not role_allows(membership.role if membership else None, Action.CREATE_SPACE):
        raise PermissionDenied(_("Only the community's facilitators and owners can import spaces."))
    return community


def polis_import_get_for_user(*, user: User | AnonymousUser, slug: str, job_id: int) -> PolisImport:
    """The user's own import job in that community (404 for anyone else's)."""
    community = polis_import_community_for_user(user=user, slug=slug)
    job = (
        PolisImport.objects.filter(pk=job_id, community=community, requested_by_id=user.pk)
        .select_related("community", "space", "duplicate_of")
        .first()
    )
    if job is None:
        raise Http404(_("No such import of yours in this community."))
    return job


def polis_import_check_limits(*, user: User) -> None:
    """Raise Conflict when `user` may not start an import now.

    One import running per person (code polis_import_running, `extra` holds
    the running job's id) and settings.POLIS_IMPORTS_PER_DAY started in any
    24 hours (code polis_import_daily_limit). Cheap: the view calls it before
    reading the upload.
    """
    running = (
        PolisImport.objects.filter(requested_by=user, status__in=PolisImport.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if running is not None:
        raise Conflict(
            _(
                "You already have a Pol.is import running. Wait until it has finished "
                "(its page shows how far it is), then upload the next one."
            ),
            code=RUNNING_CODE,
            extra={"job": running},
        )
    since = timezone.now() - timedelta(days=1)
    started = list(
        PolisImport.objects.filter(requested_by=user, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    limit = settings.POLIS_IMPORTS_PER_DAY
    if len(started) >= limit:
        free_at = started[len(started) - limit] + timedelta(days=1)
        raise Conflict(
            _(
                "You have started %(count)d Pol.is imports in the last 24 hours, the most "
                "allowed. You can start the next one after %(time)s UTC."
            )
            % {"count": len(started), "time": free_at.strftime("%Y-%m-%d %H:%M")},
            code=DAILY_LIMIT_CODE,
        )


# --- Writes ----------------------------------------------------------------------


def _store(upload: UploadedFile, path: Path) -> None:
    """Put an upload at `path`: a move for one spooled to disk, else a copy in chunks."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        file_move_safe(temporary(), str(path))
        return
    upload.seek(0)
    with path.open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def polis_import_submit(
    *,
    community: Community,
    actor: User,
    uploads: Mapping[str, UploadedFile],
    title: str = "",
    second_copy: bool = False,
) -> PolisImport:
    """Store the uploaded files and queue their import; the job.

    Preconditions: `actor` may create spaces in `community` (the caller
    checked with polis_import_community_for_user) and `uploads` maps form
    fields of FILE_NAMES to files (comments and votes or participants_votes).
    Raises Conflict when a limit says no (polis_import_check_limits). The
    task is sent once the job is committed; if the broker is down the job
    stays queued and the housekeeping task sends it later.
    """
    polis_import_check_limits(user=actor)
    job = PolisImport(
        community=community,
        requested_by=actor,
        title=title,
        second_copy=second_copy,
        files={name: upload.size for name, upload in uploads.items()},
    )
    job.full_clean(validate_constraints=False)
    folder: Path | None = None
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    job.save()
            except IntegrityError:
                # Another request of the same person got its job in first.
                polis_import_check_limits(user=actor)
                raise
            root = Path(settings.POLIS_UPLOAD_DIR)
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder = upload_folder(job.pk)
            # The id is new, so a folder of that name is a leftover (a database
            # restored from a backup reuses ids): nothing waits for it.
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(mode=0o700)
            for name, upload in uploads.items():
                _store(upload, folder / FILE_NAMES[name])
            transaction.on_commit(functools.partial(polis_import_enqueue, job_id=job.pk))
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


def polis_import_enqueue(*, job_id: int) -> bool:
    """Send the job to the workers; False (logged) when the broker cannot be reached."""
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import RedisError

    from elicitation.tasks import polis_import_run

    try:
        polis_import_run.apply_async(args=(job_id,))
    except (KombuOperationalError, RedisError, OSError) as exc:
        logger.warning("Could not enqueue Pol.is import %s (broker unreachable): %s", job_id, exc)
        return False
    PolisImport.objects.filter(id=job_id).update(enqueued_at=timezone.now())
    return True


def polis_import_claim(*, job_id: int) -> bool:
    """Queued -> parsing, atomically; False when another delivery has it (or it is gone)."""
    now = timezone.now()
    claimed = PolisImport.objects.filter(id=job_id, status=PolisImport.Status.QUEUED).update(
        status=PolisImport.Status.PARSING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        error="",
    )
    return claimed == 1


class _GaveUp(Exception):
    """The reaper took the job for dead while it was importing: undo, its verdict stands."""


def polis_import_execute(*, job_id: int) -> bool:
    """Claim a queued job, parse its files and import them; False when not claimed.

    Transient database errors propagate (the task puts the job back and
    retries). A malformed file fails the job with the parser's message; a
    conversation the community already has waits for confirmation (files
    kept); anything else fails the job with the reason. Nothing is written
    unless the whole import is.
    """
    if not polis_import_claim(job_id=job_id):
        return False
    job = PolisImport.objects.select_related("community", "requested_by").get(pk=job_id)
    active = PolisImport.objects.filter(id=job_id, status__in=PolisImport.ACTIVE)

    def beat() -> None:
        active.update(heartbeat_at=timezone.now())

    def done(space: Space) -> None:
        moved = PolisImport.objects.filter(id=job_id, status=PolisImport.Status.IMPORTING).update(
            status=PolisImport.Status.DONE,
            space=space,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        if moved != 1:
            raise _GaveUp

    stage = PolisImport.Status.PARSING
    finished = True
    try:
        with Heartbeat(f"polis-import-{job_id}-heartbeat", beat, HEARTBEAT_S):
            started = time.perf_counter()
            with open_export_folder(upload_folder(job_id)) as files:
                conversation = polis_parse_files(**files)
            logger.info("Pol.is import %s parsed in %.1f s", job_id, time.perf_counter() - started)
            stage = PolisImport.Status.IMPORTING
            active.update(status=stage, heartbeat_at=timezone.now())
            space_import_conversation(
                conversation=conversation,
                community=job.community,
                actor=job.requested_by,
                title=job.title,
                second_copy=job.second_copy,
                before_commit=done,
            )
    except TRANSIENT_DB_ERRORS:
        finished = False
        raise
    except _GaveUp:
        finished = False
    except PolisFormatError as exc:
        _fail(job_id, str(exc))
    except DuplicateImport as exc:
        finished = False
        active.update(
            status=PolisImport.Status.DUPLICATE,
            duplicate_of=exc.existing,
            finished_at=timezone.now(),
        )
    except SoftTimeLimitExceeded:
        _fail(
            job_id,
            _("Stopped while %(stage)s: the import took longer than the time limit (%(s)d s).")
            % {"stage": stage.label.lower(), "s": settings.CELERY_TASK_SOFT_TIME_LIMIT},
        )
    except Exception as exc:
        logger.exception("Pol.is import %s failed while %s", job_id, stage)
        _fail(
            job_id,
            _("The import failed while %(stage)s (%(error)s); nothing was imported.")
            % {"stage": stage.label.lower(), "error": type(exc).__name__},
        )
    finally:
        if finished:
            _remove_files(job_id)
    return True


def _fail(job_id: int, error: str) -> None:
    PolisImport.objects.filter(id=job_id, status__in=PolisImport.ACTIVE).update(
        status=PolisImport.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    )


def polis_import_release(*, job_id: int, reason: str) -> None:
    """Put a claimed job back in the queue (a transient error; the task retries)."""
    PolisImport.objects.filter(
        id=job_id, status__in=[PolisImport.Status.PARSING, PolisImport.Status.IMPORTING]
    ).update(status=PolisImport.Status.QUEUED, error=reason[:4000])


def polis_import_confirm_copy(*, job: PolisImport) -> PolisImport:
    """A duplicate the requester wants anyway: queue it again as a second copy.

    Raises Conflict when it no longer waits, or when another import of the
    same person is running (one at a time).
    """
    try:
        with transaction.atomic():
            moved = PolisImport.objects.filter(
                id=job.pk, status=PolisImport.Status.DUPLICATE
            ).update(
                status=PolisImport.Status.QUEUED,
                second_copy=True,
                enqueued_at=None,
                finished_at=None,
            )
    except IntegrityError:
        polis_import_check_limits(user=job.requested_by)
        raise
    if moved != 1:
        raise Conflict(_("This import no longer waits for a confirmation."), code="not_waiting")
    transaction.on_commit(functools.partial(polis_import_enqueue, job_id=job.pk))
    job.refresh_from_db()
    return job


def polis_import_cancel(*, job: PolisImport) -> None:
    """Drop a duplicate that waits for confirmation, and its files."""
    PolisImport.objects.filter(id=job.pk, status=PolisImport.Status.DUPLICATE).update(
        status=PolisImport.Status.FAILED,
        error=_("Cancelled: nothing was imported."),
        finished_at=timezone.now(),
    )
    _remove_files(job.pk)


def polis_import_reap_stale(*, max_silence_s: int = STALE_AFTER_S) -> int:
    """Retry once, then fail, jobs whose worker stopped beating (killed mid-import).

    The import's transaction died with the worker, so nothing of it was
    written; the files are still there for the retry. Returns how many jobs
    were retried or failed.
    """
    cutoff = timezone.now() - timedelta(seconds=max_silence_s)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    working = [PolisImport.Status.PARSING, PolisImport.Status.IMPORTING]
    retried: list[int] = []
    failed = 0
    for job_id, status, attempts in list(
        PolisImport.objects.filter(stale, status__in=working).values_list(
            "id", "status", "attempts"
        )
    ):
        label = PolisImport.Status(status).label.lower()
        silent = _(
            "The worker stopped responding while %(stage)s (no sign of life for %(s)d s)"
        ) % {"stage": label, "s": max_silence_s}
        again = PolisImport.objects.filter(stale, id=job_id, status__in=working)
        if attempts < MAX_ATTEMPTS:
            if again.update(
                status=PolisImport.Status.QUEUED,
                enqueued_at=None,
                error=_("%(silent)s; trying again (attempt %(n)d of %(max)d).")
                % {"silent": silent, "n": attempts + 1, "max": MAX_ATTEMPTS},
            ):
                retried.append(job_id)
        else:
            moved = again.update(
                status=PolisImport.Status.FAILED,
                error=_("%(silent)s, on attempt %(n)d of %(max)d; nothing was imported.")
                % {"silent": silent, "n": attempts, "max": MAX_ATTEMPTS},
                finished_at=timezone.now(),
            )
            if moved:
                failed += 1
                _remove_files(job_id)
    for job_id in retried:
        transaction.on_commit(functools.partial(polis_import_enqueue, job_id=job_id))
    return len(retried) + failed


def polis_imports_requeue_lost(
    *, older_than: timedelta = LOST_AFTER, resend_after: timedelta = RESEND_AFTER
) -> int:
    """Send again queued jobs no worker picked up (config.heartbeat.lost_in_queue); how many."""
    queued = PolisImport.objects.filter(status=PolisImport.Status.QUEUED)
    lost = lost_in_queue(queued, older_than=older_than, resend_after=resend_after)
    return sum(polis_import_enqueue(job_id=job_id) for job_id in lost)


def polis_imports_clean_up(*, confirm_within: timedelta = CONFIRM_WITHIN) -> int:
    """Expire unconfirmed duplicates and remove folders no waiting job needs; how many folders."""
    expired = PolisImport.objects.filter(
        status=PolisImport.Status.DUPLICATE, finished_at__lt=timezone.now() - confirm_within
    )
    expired.update(
        status=PolisImport.Status.FAILED,
        error=_("Not confirmed within a day: the files were removed and nothing was imported."),
    )
    root = Path(settings.POLIS_UPLOAD_DIR)
    if not root.is_dir():
        return 0
    folders = {p.name: p for p in root.iterdir() if p.is_dir() and p.name.isdigit()}
    waiting = set(
        PolisImport.objects.filter(
            id__in=[int(name) for name in folders],
            status__in=[*PolisImport.ACTIVE, PolisImport.Status.DUPLICATE],
        ).values_list("id", flat=True)
    )
    removed = 0
    now = time.time()
    for name, folder in folders.items():
        if int(name) not in waiting and now - folder.stat().st_mtime > ORPHAN_AFTER_S:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
