"""Creating, editing and opening/closing deliberation spaces."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import Community
from elicitation.models import ModerationAction, Space, new_link_token
from elicitation.selectors.access import takes_input
from elicitation.services.decisions import decision_log_append
from elicitation.text import clean_text
from notifications import events

SPACE_FIELDS = (
    "title",
    "slug",
    "question",
    "description",
    "opens_at",
    "closes_at",
    "statements_enabled",
    "pairwise_enabled",
    "ranking_enabled",
    "debate_enabled",
    "moderation",
    "participation",
    "embed_origins",
    "ranking_size",
    "trust_unsigned_xids",
    "min_voters",
)

# Settings that decide who may take part or what is counted: every change of
# one goes into the public decision log with its before and after (phase
# changes are logged by space_set_phase).
LOGGED_SETTINGS = (
    "opens_at",
    "closes_at",
    "statements_enabled",
    "pairwise_enabled",
    "ranking_enabled",
    "debate_enabled",
    "moderation",
    "participation",
    "ranking_size",
    "min_voters",
    "trust_unsigned_xids",
)


def _loggable(value: Any) -> Any:
    """A setting's value as JSON for the log (times in ISO 8601)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def space_create(*, community: Community, actor: User, **fields: Any) -> Space:
    """Create a draft space; the caller checked that `actor` may CREATE_SPACE."""
    unknown = set(fields) - set(SPACE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    space = Space(community=community, created_by=actor, phase=Space.Phase.DRAFT, **fields)
    space.full_clean()
    space.save()
    return space


@transaction.atomic
def space_update(*, space: Space, actor: User | AnonymousUser | None, **fields: Any) -> Space:
    """Change a space's settings (not its phase: see space_set_phase).

    A change of a setting in LOGGED_SETTINGS is logged publicly, one entry
    for the whole update, with each changed setting's before and after.
    """
    unknown = set(fields) - set(SPACE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    # Locked so the logged "before" is the value this update replaces.
    locked = Space.objects.select_for_update().get(pk=space.pk)
    before = {name: getattr(locked, name) for name in fields}
    for name, value in fields.items():
        setattr(space, name, value)
    space.full_clean()
    space.save(update_fields=[*fields.keys(), "updated_at"])
    changes = {
        name: {"from": _loggable(before[name]), "to": _loggable(getattr(space, name))}
        for name in fields
        if name in LOGGED_SETTINGS and before[name] != getattr(space, name)
    }
    if changes:
        decision_log_append(
            space=space,
            actor=actor,
            action=ModerationAction.Action.SETTINGS,
            detail={"changes": changes},
        )
    return space


def _request_final_analysis(space: Space, actor: User | AnonymousUser | None) -> None:
    # Local import: the aggregation app imports elicitation's models, so
    # elicitation imports aggregation only where it needs it.
    from aggregation.services import run_request

    # None when a run is already queued or running; that run reads the final data too
    # only if it started after the close, so the facilitator can re-run from the page.
    run_request(
        space=space,
        trigger="close",
        requested_by=actor if actor is not None and actor.is_authenticated else None,
    )


@transaction.atomic
def space_set_phase(
    *, space: Space, phase: str, actor: User | AnonymousUser | None, reason: str = ""
) -> Space:
    """Move a space to `phase`, log it publicly, and ask for a final analysis on closing."""
    if phase not in Space.Phase.values:
        raise ValidationError(
            {
                "phase": _("Unknown phase %(phase)r; choose one of %(phases)s.")
                % {"phase": phase, "phases": ", ".join(Space.Phase.values)}
            }
        )
    # Lock the row so two facilitators pressing buttons at once log a
    # consistent before/after pair.
    locked = Space.objects.select_for_update().get(pk=space.pk)
    previous = locked.phase
    if previous == phase:
        raise ValidationError({"phase": _("The space is already %(phase)s.") % {"phase": phase}})
    took_input_before = takes_input(locked)
    locked.phase = phase
    locked.save(update_fields=["phase", "updated_at"])
    space.phase = phase
    decision = decision_log_append(
        space=locked,
        actor=actor,
        action=ModerationAction.Action.PHASE,
        reason=clean_text(reason),
        detail={"from": previous, "to": phase},
    )
    if phase == Space.Phase.CLOSED:
        _request_final_analysis(locked, actor)
    events.space_phase_changed(
        space=locked,
        took_input_before=took_input_before,
        takes_input_now=takes_input(locked),
        decision=decision,
    )
    return space


@transaction.atomic
def space_link_rotate(*, space: Space, actor: User | AnonymousUser | None) -> Space:
    """Give the space a new "anyone with the link" URL; the old one stops working at once.

    Every grant made through the old link (the browser cookie, X-Space-Link)
    lapses with it: they are compared with the current token. Participants
    already holding a participant token keep it. Logged publicly, without
    either token (the log is public; the link may not be).
    """
    locked = Space.objects.select_for_update().get(pk=space.pk)
    locked.link_token = new_link_token()
    locked.save(update_fields=["link_token", "updated_at"])
    space.link_token = locked.link_token
    decision_log_append(space=space, actor=actor, action=ModerationAction.Action.ROTATE_LINK)
    return space
