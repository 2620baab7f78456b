"""The one place that announces what happened: to webhooks and to e-mail.

Services call these inside the transaction of the change they announce.
Webhook deliveries are written in that transaction (and sent after the
commit by the webhooks app); e-mails are fanned out by a task enqueued after
the commit, so a rolled-back change announces nothing.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.db import transaction

from notifications.models import Kind

if TYPE_CHECKING:
    from aggregation.models import ValueProfile
    from elicitation.models import ModerationAction, Space


def _after_commit(task: Any, *args: Any) -> None:
    from notifications.services import enqueue

    transaction.on_commit(functools.partial(enqueue, task, *args))


def _profile_data(space: Space, profile: ValueProfile, **extra: Any) -> dict[str, Any]:
    return {
        "space": space.pk,
        "version": profile.version,
        "profile": profile.pk,
        "url": f"/api/v1/spaces/{space.pk}/profiles/{profile.version}/",
        **extra,
    }


def profile_published(*, space: Space, profile: ValueProfile) -> None:
    from notifications.tasks import notify_profile_published
    from webhooks.services import webhook_event_emit

    webhook_event_emit(
        community_id=space.community_id,
        event="profile.published",
        data=_profile_data(space, profile),
    )
    _after_commit(notify_profile_published, profile.pk)


def profile_retracted(*, space: Space, profile: ValueProfile, reason: str) -> None:
    from webhooks.services import webhook_event_emit

    webhook_event_emit(
        community_id=space.community_id,
        event="profile.retracted",
        data=_profile_data(space, profile, reason=reason),
    )


def run_failed(*, community_id: int, space_id: int, run_id: int, error: str) -> None:
    from webhooks.services import webhook_event_emit

    webhook_event_emit(
        community_id=community_id,
        event="run.failed",
        data={"space": space_id, "run": run_id, "error": error},
    )


def space_phase_changed(
    *, space: Space, took_input_before: bool, takes_input_now: bool, decision: ModerationAction
) -> None:
    """A facilitator opened or closed the space.

    Members hear of an opening only when the space takes input now (an
    opening scheduled for later is announced by the beat when it comes, with
    the same key), and of a closing only when it took input until now (a
    space whose schedule had already closed it was announced then).
    """
    from notifications.tasks import notify_space_event

    if takes_input_now and not took_input_before:
        _after_commit(notify_space_event, space.pk, Kind.SPACE_OPENED.value, f"open:{decision.pk}")
    elif took_input_before and not takes_input_now and space.phase == "closed":
        _after_commit(notify_space_event, space.pk, Kind.SPACE_CLOSED.value, f"phase:{decision.pk}")
