"""Every write of the aggregation app: analysis runs and value profiles."""

from __future__ import annotations

import functools
import logging
import time
import traceback
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation import profiles, selectors
from aggregation.models import NOTE_MAX_LENGTH, AnalysisRun, ValueProfile
from aggregation.results import StoredResult
from config.exceptions import Conflict
from config.heartbeat import Heartbeat, lost_in_queue
from elicitation.models import Comparison, ModerationAction, Ranking, Space, Statement, VoteEvent
from elicitation.selectors import space_role
from elicitation.services.decisions import decision_log_append
from notifications import events

logger = logging.getLogger(__name__)

# Automatic runs while a space is open (debounce): enough new activity, or
# any new activity once things have been quiet a while, never more often
# than every MIN_INTERVAL.
AUTO_MIN_EVENTS = 20
AUTO_QUIET = timedelta(minutes=5)
AUTO_MIN_INTERVAL = timedelta(minutes=3)
# A queued run older than this was probably never delivered (broker down).
LOST_AFTER = timedelta(seconds=60)
# A queued run the broker accepted but no worker took after this long is sent again.
RESEND_AFTER = timedelta(minutes=10)
# A running run's worker writes a heartbeat this often, whatever the stage; the
# reaper (every settings.RUN_REAP_EVERY_S, 30 s, in CELERY_BEAT_SCHEDULE) takes a
# run whose heartbeat is older than STALE_AFTER_S for dead, so a killed worker is
# noticed within about two minutes. Its run is tried once more, then failed with
# the reason. Settings (environment) so that a fault test can shorten them.
HEARTBEAT_S = float(settings.RUN_HEARTBEAT_S)
STALE_AFTER_S = settings.RUN_STALE_AFTER_S
MAX_ATTEMPTS = 2


# Errors worth retrying: the database was briefly unreachable or locked.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


class ProfileError(Conflict):
    """A profile action that the profile's state does not allow; the message says why."""


class ProfileStale(ProfileError):
    """The space changed since the draft's run in a way that alters the profile.

    `changes` lists what changed (selectors.profile_stale_changes); the way
    out is a new run and a review of its draft.
    """

    code = "profile_stale"

    def __init__(self, changes: list[dict[str, Any]]) -> None:
        self.changes = changes
        what = " ".join(c["message"] for c in changes)
        super().__init__(
            _(
                "The space changed since this draft's analysis: %(what)s Run the analysis "
                "again and review the new draft before publishing."
            )
            % {"what": what},
            code=self.code,
            extra={"changes": changes},
        )


# --- Analysis runs -----------------------------------------------------------


def run_enqueue(*, run_id: int) -> bool:
    """Send the run to the workers; False (logged) when the broker cannot be reached.

    The database is the source of truth: a run that could not be sent stays
    queued and the beat task `requeue_lost_runs` sends it again later, so a
    broker outage never fails the web request that asked for the run.
    """
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import RedisError

    from aggregation.tasks import run_analysis

    try:
        run_analysis.apply_async(args=(run_id,))
    except (KombuOperationalError, RedisError, OSError) as exc:
        logger.warning("Could not enqueue analysis run %s (broker unreachable): %s", run_id, exc)
        return False
    AnalysisRun.objects.filter(id=run_id).update(enqueued_at=timezone.now())
    return True


def run_request(
    *, space: Space, trigger: str, requested_by: User | None = None, enqueue: bool = True
) -> AnalysisRun | None:
    """Queue an analysis of `space` unless one is already queued or running.

    Returns the new run, or None when the space already has an active run (the
    database constraint one_active_run_per_space settles races between two
    requests). The task is sent after the transaction commits, unless
    `enqueue` is False: the caller then runs it (the analyze_space command),
    and no worker can claim it first.
    """
    if trigger not in AnalysisRun.Trigger.values:
        raise ValidationError({"trigger": _("Unknown trigger %(trigger)r.") % {"trigger": trigger}})
    if AnalysisRun.objects.filter(
        space=space, status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING]
    ).exists():
        return None
    run = AnalysisRun(space=space, trigger=trigger, requested_by=requested_by)
    # The uniqueness check of full_clean would query; the constraint decides.
    run.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        # Another request created the active run between our check and insert.
        return None
    if enqueue:
        transaction.on_commit(lambda: run_enqueue(run_id=run.pk))
    return run


def _heartbeat(run_id: int, stage: str) -> None:
    AnalysisRun.objects.filter(id=run_id, status=AnalysisRun.Status.RUNNING).update(
        stage=stage, heartbeat_at=timezone.now()
    )


def run_claim(*, run_id: int) -> bool:
    """Queued -> running, atomically; False when someone else has it or it is gone.

    The conditional UPDATE is the lock: a duplicate delivery of the task (acks
    late, redelivery after a lost worker, a re-enqueue by the beat task) finds
    the run no longer queued and does nothing.
    """
    now = timezone.now()
    claimed = AnalysisRun.objects.filter(id=run_id, status=AnalysisRun.Status.QUEUED).update(
        status=AnalysisRun.Status.RUNNING,
        stage=AnalysisRun.Stage.READING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        error="",
    )
    return claimed == 1


def run_release(*, run_id: int, reason: str) -> None:
    """Put a claimed run back in the queue (a transient error; the task retries)."""
    AnalysisRun.objects.filter(id=run_id, status=AnalysisRun.Status.RUNNING).update(
        status=AnalysisRun.Status.QUEUED, stage=AnalysisRun.Stage.QUEUED, error=reason
    )


def run_fail(*, run_id: int, error: str, only_if: Q | None = None) -> bool:
    """Running -> failed with the reason (facilitators see it on the run page).

    The one place a run fails: the worker's own errors and the stale-run
    reaper both come here, so every failure is announced (webhook event
    run.failed) exactly once. `only_if` narrows the conditional update (the
    reaper's "still silent"); False when the run was no longer running.
    """
    with transaction.atomic():
        failed = AnalysisRun.objects.filter(
            only_if or Q(), id=run_id, status=AnalysisRun.Status.RUNNING
        ).update(status=AnalysisRun.Status.FAILED, error=error[:4000], finished_at=timezone.now())
        if failed:
            _emit_run_failed(run_id=run_id, error=error[:4000])
    return bool(failed)


def _emit_run_failed(*, run_id: int, error: str) -> None:
    run = AnalysisRun.objects.select_related("space").get(pk=run_id)
    events.run_failed(
        community_id=run.space.community_id, space_id=run.space_id, run_id=run.pk, error=error
    )


def run_sensemaking(*, space_id: int, result: dict[str, Any]) -> dict[str, Any]:
    """Topics and extractive summaries of a run's result (aggregation.sensemaking).

    Statements are embedded when they are written (a background task), so
    a run normally finds every vector stored. A run that finds a few missing
    (a task lost with the broker down) embeds them here; one that finds more
    than RUN_INLINE_EMBED_MAX (a space just imported from Pol.is, whose
    thousands of statements the worker is still embedding) does not wait:
    it has no topics, says how many statements are still being embedded
    (`topics_pending`), and the next run has them. Embedding 8,000 statements
    took 231 s of a 301 s whole run of a 1M-vote import on the loaded
    development machine (1 December 2026), so waiting would make the first run
    of every large import minutes long. Without the embedding model there are
    no topics; the summaries need none.
    """
    from aggregation import sensemaking
    from aggregation.engine import embedding
    from elicitation.services import (
        statements_embed_later,
        statements_embed_missing,
        statements_unembedded_count,
    )

    numbers = sorted(int(n) for n, e in result["statements"].items() if e["in_profile"])
    texts = selectors.statement_texts(space_id=space_id)
    topics: dict[str, Any] | None = None
    pending = 0
    if embedding.available():
        missing = statements_unembedded_count(space_id=space_id)
        if missing <= settings.RUN_INLINE_EMBED_MAX:
            statements_embed_missing(space_id=space_id)
            vectors = selectors.statement_vectors(space_id=space_id, numbers=numbers)
            topics = sensemaking.topics_of(result, numbers, texts, vectors)
        else:
            pending = missing
            # Idempotent: an embedding task already under way leaves nothing for this one.
            statements_embed_later(space_id)
    sense: dict[str, Any] = {
        "topics": topics,
        "summaries": sensemaking.summaries_of(result, numbers, texts, topics),
    }
    if pending:
        sense["topics_pending"] = pending
    return sense


def _send_summarise(run_id: int) -> None:
    from aggregation.tasks import summarise_run

    try:
        summarise_run.delay(run_id)
    except Exception:  # the broker is down: the run stands without the optional summary
        logger.warning("Could not queue the language-model summary of run %s", run_id)


def run_summarise_abstractive(*, run_id: int) -> bool:
    """Add the language model's checked summary to a succeeded run (aggregation.llm).

    Does nothing without LLM_BASE_URL or when the run has one already (a
    retried task never asks twice). Raises llm.LLMError when the endpoint
    fails (the task retries). Returns whether a summary was stored.
    """
    from aggregation import llm

    if not settings.LLM_BASE_URL:
        return False
    run = AnalysisRun.objects.filter(pk=run_id, status=AnalysisRun.Status.SUCCEEDED).first()
    if run is None or run.result is None:
        return False
    stored = StoredResult.from_json(run.result)
    if "abstractive" in stored.summaries:
        return False
    numbers = stored.in_profile()
    texts = selectors.statement_texts(space_id=run.space_id)
    reply = llm.chat(
        base_url=settings.LLM_BASE_URL,
        model=settings.LLM_MODEL,
        api_key=settings.LLM_API_KEY,
        prompt=llm.evidence(stored, texts, numbers),
        timeout_s=settings.LLM_TIMEOUT_S,
    )
    checked = llm.check(reply, set(numbers))
    with transaction.atomic():
        locked = AnalysisRun.objects.select_for_update().get(pk=run_id)
        result = dict(locked.result or {})
        summaries = dict(result.get("summaries") or {})
        if "abstractive" in summaries:
            return False
        summaries["abstractive"] = {
            "machine_made": True,
            "model": settings.LLM_MODEL,
            "sentences": checked.sentences,
            # Sentences without a valid citation are not kept, only counted.
            "dropped": len(checked.dropped),
            "created_at": timezone.now().isoformat(),
        }
        result["summaries"] = summaries
        locked.result = result
        locked.save(update_fields=["result"])
    return True


def run_execute(*, run_id: int) -> bool:
    """Claim a queued run, analyse a snapshot of its space and store the result.

    Returns False when the run could not be claimed. Transient database
    errors propagate (the task releases the run and retries); any other error
    marks the run failed with the reason. On success a draft profile is
    built from the result.
    """
    # Imported here: web processes, which only enqueue, never load NumPy,
    # SciPy and the engines.
    from aggregation import analysis

    if not run_claim(run_id=run_id):
        return False
    run = AnalysisRun.objects.select_related("space__community").get(pk=run_id)
    stage = AnalysisRun.Stage.READING.value

    def on_stage(name: str) -> None:
        nonlocal stage
        stage = name
        if name in AnalysisRun.Stage.values:
            _heartbeat(run_id, name)

    # One stage (the bootstrap on a big space) can outlast the reaper's patience.
    heartbeat = Heartbeat(
        f"run-{run_id}-heartbeat",
        lambda: AnalysisRun.objects.filter(id=run_id, status=AnalysisRun.Status.RUNNING).update(
            heartbeat_at=timezone.now()
        ),
        HEARTBEAT_S,
    )
    heartbeat.start()
    try:
        started = timezone.now()
        # Before the snapshot: a moderation racing the read then shows up as
        # a change at publication, never as a removed statement published.
        basis = selectors.space_profile_basis(space_id=run.space_id)
        snapshot = selectors.snapshot_read(space_id=run.space_id, cutoff=started)
        read_s = (timezone.now() - started).total_seconds()
        output = analysis.analyze_snapshot(
            snapshot, on_stage=on_stage, min_voters=basis["min_voters"]
        )
        sense_started = time.perf_counter()
        output.result.update(run_sensemaking(space_id=run.space_id, result=output.result))
        output.timings["topics"] = round(time.perf_counter() - sense_started, 6)
        on_stage(AnalysisRun.Stage.SAVING)
        saving_started = timezone.now()
        timings = {"reading": round(read_s, 6), **output.timings}
        with transaction.atomic():
            stored = AnalysisRun.objects.filter(
                id=run_id, status=AnalysisRun.Status.RUNNING
            ).update(
                status=AnalysisRun.Status.SUCCEEDED,
                stage=AnalysisRun.Stage.DONE,
                input_fingerprint=snapshot.fingerprint(),
                basis=basis,
                engine_version=output.result["engine_version"],
                parameters=output.parameters,
                counts=output.counts,
                result=output.result,
                routing=output.routing,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            if stored != 1:
                # The reaper gave up on us meanwhile; its verdict stands.
                return False
            run.refresh_from_db()
            profile_create_draft(run=run)
            timings["saving"] = round((timezone.now() - saving_started).total_seconds(), 6)
            AnalysisRun.objects.filter(id=run_id).update(timings=timings)
            if settings.LLM_BASE_URL:
                transaction.on_commit(lambda: _send_summarise(run_id))
    except TRANSIENT_DB_ERRORS:
        raise
    except SoftTimeLimitExceeded:
        run_fail(
            run_id=run_id,
            error=f"Stopped in stage {stage}: the analysis took longer than the time limit "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s).",
        )
    except Exception as exc:
        logger.exception("Analysis run %s failed in stage %s", run_id, stage)
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        run_fail(
            run_id=run_id, error=f"Failed in stage {stage}: {type(exc).__name__}: {exc}{where}"
        )
    finally:
        heartbeat.stopped.set()
    return True


def run_reap_stale(*, max_silence_s: int = STALE_AFTER_S) -> int:
    """Retry once, then fail, running runs whose heartbeat is older than `max_silence_s`.

    A worker killed mid-run (OOM, deploy, hard time limit) never gets to record
    a failure; without this its run would stay "running" and block the space's
    next run (one active run per space). A run on its first attempt goes back
    to the queue and is sent again (a duplicate delivery of the old message
    finds it claimed or queued and the conditional claim settles who runs
    it); a run whose worker died on its last attempt is failed with the
    reason. Returns how many runs were retried or failed.
    """
    cutoff = timezone.now() - timedelta(seconds=max_silence_s)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    running = AnalysisRun.objects.filter(stale, status=AnalysisRun.Status.RUNNING)
    retried: list[int] = []
    failed = 0
    for run_id, stage, attempts in list(running.values_list("id", "stage", "attempts")):
        silent = (
            f"The worker stopped responding in stage {stage} (no heartbeat for {max_silence_s} s)"
        )
        if attempts < MAX_ATTEMPTS:
            # Conditional on the state read: a worker that beat meanwhile keeps its run.
            moved = AnalysisRun.objects.filter(
                stale, id=run_id, status=AnalysisRun.Status.RUNNING
            ).update(
                status=AnalysisRun.Status.QUEUED,
                stage=AnalysisRun.Stage.QUEUED,
                enqueued_at=None,
                error=f"{silent}; retrying (attempt {attempts + 1} of {MAX_ATTEMPTS}).",
            )
            if moved:
                retried.append(run_id)
        else:
            failed += run_fail(
                run_id=run_id,
                error=f"{silent}, on attempt {attempts} of {MAX_ATTEMPTS}; the run was "
                "marked failed and can be started again.",
                only_if=stale,
            )
    for run_id in retried:
        transaction.on_commit(functools.partial(run_enqueue, run_id=run_id))
    return len(retried) + failed


def runs_requeue_lost(
    *, older_than: timedelta = LOST_AFTER, resend_after: timedelta = RESEND_AFTER
) -> int:
    """Send again queued runs no worker picked up (config.heartbeat.lost_in_queue); how many."""
    queued = AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED)
    lost = lost_in_queue(queued, older_than=older_than, resend_after=resend_after)
    return sum(run_enqueue(run_id=run_id) for run_id in lost)


def _activity_since(space_id: int, since: datetime | None) -> int:
    """New votes, comparisons, ballots and statements since `since` (None: ever)."""
    after = {} if since is None else {"created_at__gt": since}
    events = VoteEvent.objects.filter(participant__space_id=space_id, **after).count()
    events += Comparison.objects.filter(participant__space_id=space_id, **after).count()
    events += Statement.objects.filter(space_id=space_id, **after).count()
    ballots_after = {} if since is None else {"updated_at__gt": since}
    events += Ranking.objects.filter(participant__space_id=space_id, **ballots_after).count()
    return events


def runs_request_auto() -> list[int]:
    """Request runs for open spaces with enough new activity since their last run.

    Debounced: at least AUTO_MIN_EVENTS new events, or any new activity once
    AUTO_QUIET has passed since the last run; never within AUTO_MIN_INTERVAL
    of the last run. Returns the ids of the runs created.
    """
    now = timezone.now()
    created: list[int] = []
    spaces = Space.objects.filter(phase=Space.Phase.OPEN).annotate(
        last_run_at=Max("analysis_runs__created_at")
    )
    for space in spaces:
        # The stubs do not carry annotations through a custom QuerySet's manager.
        last = space.last_run_at  # type: ignore[attr-defined]
        if last is not None and now - last < AUTO_MIN_INTERVAL:
            continue
        activity = _activity_since(space.pk, last)
        if activity == 0:
            continue
        if last is None or activity >= AUTO_MIN_EVENTS or now - last >= AUTO_QUIET:
            run = run_request(space=space, trigger=AnalysisRun.Trigger.AUTO)
            if run is not None:
                created.append(run.pk)
    return created


# --- Value profiles ------------------------------------------------------------


@transaction.atomic
def profile_create_draft(*, run: AnalysisRun) -> ValueProfile:
    """Build a draft profile from a succeeded run; it replaces older unreviewed drafts.

    Drafts are proposals waiting for a facilitator; only the newest is worth
    reviewing, so earlier drafts of the space are removed. The facilitators'
    summary, and the notes and exclusions of values the new draft still has,
    carry over from the draft it replaces (a re-run after a moderation must
    not lose them).
    """
    if run.status != AnalysisRun.Status.SUCCEEDED or run.result is None:
        raise ProfileError(
            "A profile can only be built from a succeeded analysis run.", code="run_not_succeeded"
        )
    space = Space.objects.select_related("community").get(pk=run.space_id)
    content = profiles.build_content(
        space=space,
        run=run,
        texts=selectors.statement_texts(space_id=space.pk),
    )
    older = ValueProfile.objects.filter(space=space, status=ValueProfile.Status.DRAFT).first()
    numbers = {str(v["statement"]) for v in content["values"]}
    summary, notes, exclusions, wordings = "", {}, {}, {}
    if older is not None:
        summary = older.summary
        notes = {k: v for k, v in older.value_notes.items() if k in numbers}
        exclusions = {k: v for k, v in older.exclusions.items() if k in numbers}
        wordings = {k: v for k, v in older.principle_wordings.items() if k in numbers}
    ValueProfile.objects.filter(space=space, status=ValueProfile.Status.DRAFT).delete()
    profile = ValueProfile(
        space=space,
        run=run,
        content=content,
        summary=summary,
        value_notes=notes,
        exclusions=exclusions,
        principle_wordings=wordings,
    )
    profile.full_clean()
    profile.save()
    return profile


def _approver_role(actor: User, space: Space) -> str:
    """The role the actor approves in, recorded with the version (read under the space's lock).

    Who may publish was decided by the caller (`selectors.profile_get_for_publisher`);
    this only refuses an actor whose membership ended since that check.
    """
    role = space_role(user=actor, space=space)
    if role is None:
        raise Conflict(
            _("You are no longer a member of this community."), code="membership_changed"
        )
    return role


@transaction.atomic
def profile_publish(*, profile: ValueProfile, actor: User) -> ValueProfile:
    """Publish a draft as the space's next version, with a diff against the previous one.

    Precondition: the caller checked that `actor` may publish
    (`selectors.profile_get_for_publisher`). The space row is locked so two
    facilitators publishing at once get versions n and n+1, never the same
    number twice.
    """
    space = Space.objects.select_for_update().select_related("community").get(pk=profile.space_id)
    role = _approver_role(actor, space)
    profile = ValueProfile.objects.select_for_update().select_related("run").get(pk=profile.pk)
    if profile.status != ValueProfile.Status.DRAFT:
        raise ProfileError(
            _("This profile is already %(status)s.")
            % {"status": profile.get_status_display().lower()},
            code="profile_not_draft",
        )
    # Moderation locks the statement row it changes (statement_moderate):
    # holding the space's statement rows, nothing can be removed between
    # this check and the commit, and a moderation that committed first is seen.
    list(Statement.objects.select_for_update().filter(space=space).values_list("id", flat=True))
    changes = selectors.profile_stale_changes(profile=profile)
    if changes:
        raise ProfileStale(changes)
    last_version = (
        ValueProfile.objects.filter(space=space, version__isnull=False).aggregate(v=Max("version"))[
            "v"
        ]
        or 0
    )
    previous = (
        ValueProfile.objects.filter(space=space, status=ValueProfile.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    now = timezone.now()
    profile.version = last_version + 1
    profile.status = ValueProfile.Status.PUBLISHED
    profile.approved_by = actor
    profile.approved_role = role
    profile.published_at = now
    content = profiles.apply_editorial(
        profile.content,
        summary=profile.summary,
        notes=profile.value_notes,
        exclusions=profile.exclusions,
        principles=profile.principle_wordings,
    )
    profile.diff = profiles.diff(previous.content if previous else None, content)
    profile.content = profiles.with_header(
        content,
        version=profile.version,
        status=profile.status,
        approved_role=role,
        published_at=now,
    )
    profile.full_clean()
    profile.save(
        update_fields=[
            "version",
            "status",
            "approved_by",
            "approved_role",
            "published_at",
            "diff",
            "content",
        ]
    )
    decision_log_append(
        space=space,
        actor=actor,
        action=ModerationAction.Action.PUBLISH_PROFILE,
        profile_version=profile.version,
        detail={"run": profile.run_id, "summary": profiles.diff_summary(profile.diff)},
    )
    # Each value left out is a public decision of its own, with its reason.
    for excluded in profile.content["excluded"]:
        decision_log_append(
            space=space,
            actor=actor,
            action=ModerationAction.Action.EXCLUDE_VALUE,
            statement=Statement.objects.filter(space=space, number=excluded["statement"]).first(),
            profile_version=profile.version,
            reason=excluded["reason"],
            detail={"statement": excluded["statement"]},
        )
    # So is each value given a wording of its own as a principle.
    for value in profile.content["values"]:
        if value.get("principle"):
            decision_log_append(
                space=space,
                actor=actor,
                action=ModerationAction.Action.REWORD_PRINCIPLE,
                statement=Statement.objects.filter(space=space, number=value["statement"]).first(),
                profile_version=profile.version,
                reason=f"Stated as a principle: “{value['principle']['text']}”",
                detail={
                    "statement": value["statement"],
                    "statement_text": value["text"],
                    "principle": value["principle"]["text"],
                },
            )
    events.profile_published(space=space, profile=profile)
    return profile


def _editorial_texts(
    raw: Mapping[str, str | None], *, field: str, numbers: set[str], required: str
) -> dict[str, str]:
    """Statement number -> text, checked: values of this draft, non-empty, not too long."""
    if not isinstance(raw, Mapping):
        raise ValidationError({field: _("Give an object of statement number to text.")})
    out: dict[str, str] = {}
    for key, text in raw.items():
        number = str(key).strip().lstrip("#")
        if number not in numbers:
            raise ValidationError(
                {field: _("#%(number)s is not a value of this draft.") % {"number": number}}
            )
        if text is None:
            continue
        if not isinstance(text, str):
            raise ValidationError({field: _("#%(number)s: give text.") % {"number": number}})
        text = " ".join(text.split())
        if not text:
            if required:
                raise ValidationError({field: f"#{number}: {required}"})
            continue
        if len(text) > NOTE_MAX_LENGTH:
            raise ValidationError(
                {
                    field: _("#%(number)s: keep it under %(max)s characters (%(length)s).")
                    % {"number": number, "max": NOTE_MAX_LENGTH, "length": len(text)}
                }
            )
        out[number] = text
    return out


@transaction.atomic
def profile_edit(
    *,
    profile: ValueProfile,
    actor: User,
    summary: str | None = None,
    notes: Mapping[str, str | None] | None = None,
    exclusions: Mapping[str, str | None] | None = None,
    principles: Mapping[str, str | None] | None = None,
) -> ValueProfile:
    """Set a draft's summary, per-value notes, exclusions and principle wordings.

    None leaves one as it is. A principle wording replaces the statement's text
    in the constitution export only; the profile keeps the statement as
    written beside it, and publication records each wording in the decision
    log.

    Notes and exclusions replace the whole set given; an exclusion needs a
    reason, which becomes public (in the profile and the decision log) when
    the draft is published. Only drafts can be edited: a published version
    says what it said. Precondition: the caller checked that `actor` may
    publish (`selectors.profile_get_for_publisher`).
    """
    Space.objects.select_for_update().get(pk=profile.space_id)
    profile = ValueProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.status != ValueProfile.Status.DRAFT:
        raise ProfileError(
            _("Only a draft can be edited; a published version stays as it was."),
            code="profile_not_draft",
        )
    numbers = {str(v["statement"]) for v in profile.content["values"]}
    fields: list[str] = []
    if summary is not None:
        profile.summary = summary.strip()
        fields.append("summary")
    if notes is not None:
        profile.value_notes = _editorial_texts(notes, field="notes", numbers=numbers, required="")
        fields.append("value_notes")
    if exclusions is not None:
        profile.exclusions = _editorial_texts(
            exclusions,
            field="exclusions",
            numbers=numbers,
            required=_("say why it is left out; the reason is public."),
        )
        fields.append("exclusions")
    if principles is not None:
        profile.principle_wordings = _editorial_texts(
            principles, field="principles", numbers=numbers, required=""
        )
        fields.append("principle_wordings")
    profile.full_clean()
    if fields:
        profile.save(update_fields=fields)
    return profile


@transaction.atomic
def profile_retract(*, profile: ValueProfile, actor: User, reason: str) -> ValueProfile:
    """Retract a published version; the reason is public in the decision log.

    Precondition: the caller checked that `actor` may publish
    (`selectors.profile_get_for_publisher` or `space_get_for_publishing`).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the profile is retracted; the reason is public.")}
        )
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Keep the reason under 1000 characters.")})
    space = Space.objects.select_for_update().get(pk=profile.space_id)
    profile = ValueProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.status != ValueProfile.Status.PUBLISHED:
        raise ProfileError(
            _("Only a published profile can be retracted."), code="profile_not_published"
        )
    now = timezone.now()
    profile.status = ValueProfile.Status.RETRACTED
    profile.retracted_at = now
    profile.retracted_by = actor
    profile.retraction_reason = reason
    profile.content = profiles.with_header(
        profile.content, status=profile.status, retracted_at=now, retraction_reason=reason
    )
    profile.full_clean()
    profile.save(
        update_fields=["status", "retracted_at", "retracted_by", "retraction_reason", "content"]
    )
    decision_log_append(
        space=space,
        actor=actor,
        action=ModerationAction.Action.RETRACT_PROFILE,
        profile_version=profile.version,
        reason=reason,
    )
    events.profile_retracted(space=space, profile=profile, reason=reason)
    return profile
