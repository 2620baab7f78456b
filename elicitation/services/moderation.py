"""Facilitators' decisions on statements, arguments and flags, and participants' flags."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import (
    Argument,
    Flag,
    ModerationAction,
    ModerationStatus,
    Participant,
    Statement,
)
from elicitation.services.decisions import decision_log_append
from elicitation.text import clean_text

FLAG_REASON_MAX_LENGTH = 500


MODERATION_DECISIONS = {
    # decision: (allowed from, new status, log action)
    "approve": (
        {ModerationStatus.PENDING},
        ModerationStatus.ACCEPTED,
        ModerationAction.Action.APPROVE,
    ),
    "reject": (
        {ModerationStatus.PENDING, ModerationStatus.ACCEPTED},
        ModerationStatus.REJECTED,
        ModerationAction.Action.REJECT,
    ),
    "restore": (
        {ModerationStatus.REJECTED},
        ModerationStatus.ACCEPTED,
        ModerationAction.Action.RESTORE,
    ),
}


def _moderation_transition(current: str, decision: str, reason: str) -> tuple[str, str]:
    if decision not in MODERATION_DECISIONS:
        raise ValidationError(
            {
                "decision": _("Unknown decision %(decision)r; use approve, reject or restore.")
                % {"decision": decision}
            }
        )
    allowed, new_status, action = MODERATION_DECISIONS[decision]
    if current not in allowed:
        raise ValidationError(
            {
                "decision": _("Cannot %(decision)s something that is %(current)s.")
                % {"decision": decision, "current": current}
            }
        )
    if decision == "reject" and not reason:
        raise ValidationError(
            {"reason": _("Give a reason; it appears in the public decision log.")}
        )
    return new_status, action


@transaction.atomic
def statement_moderate(
    *,
    statement: Statement,
    actor: User | AnonymousUser | None,
    decision: str,
    reason: str = "",
    is_meta: bool | None = None,
) -> Statement:
    """Approve, reject (post-moderation removal) or restore a statement; logged publicly.

    Rejecting resolves the open flags on it. The caller checked MODERATE.
    """
    reason = clean_text(reason)
    locked = Statement.objects.select_for_update().select_related("space").get(pk=statement.pk)
    new_status, action = _moderation_transition(locked.status, decision, reason)
    locked.status = new_status
    fields = ["status"]
    if is_meta is not None:
        locked.is_meta = is_meta
        fields.append("is_meta")
    locked.save(update_fields=fields)
    if new_status == ModerationStatus.REJECTED:
        Flag.objects.filter(statement=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    decision_log_append(
        space=locked.space,
        actor=actor,
        action=action,
        statement=locked,
        reason=reason,
        detail={"statement": locked.number},
    )
    return locked


@transaction.atomic
def argument_moderate(
    *, argument: Argument, actor: User | AnonymousUser | None, decision: str, reason: str = ""
) -> Argument:
    """Approve, reject or restore an argument; logged publicly. The caller checked MODERATE."""
    reason = clean_text(reason)
    locked = (
        Argument.objects.select_for_update().select_related("statement__space").get(pk=argument.pk)
    )
    new_status, action = _moderation_transition(locked.status, decision, reason)
    locked.status = new_status
    locked.save(update_fields=["status"])
    if new_status == ModerationStatus.REJECTED:
        Flag.objects.filter(argument=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    decision_log_append(
        space=locked.statement.space,
        actor=actor,
        action=action,
        statement=locked.statement,
        argument=locked,
        reason=reason,
        detail={"statement": locked.statement.number, "argument": locked.pk},
    )
    return locked


def flag_create(
    *,
    participant: Participant,
    reason: str,
    statement: Statement | None = None,
    argument: Argument | None = None,
) -> tuple[Flag, bool]:
    """Report a statement or an argument to the moderators; returns (flag, created).

    Flags stay possible in a closed space (a harmful text should still go).
    Reporting the same thing twice while the first report is open is a replay.
    """
    if (statement is None) == (argument is None):
        raise ValidationError(_("Flag either a statement or an argument."))
    target_space = statement.space_id if statement is not None else argument.statement.space_id  # type: ignore[union-attr]
    if target_space != participant.space_id:
        raise ValidationError({"statement": _("That is not in this space.")})
    reason = clean_text(reason)
    if len(reason) < 3:
        raise ValidationError({"reason": _("Say briefly what is wrong (at least 3 characters).")})
    if len(reason) > FLAG_REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("A reason has at most 500 characters.")})
    with transaction.atomic():
        open_flag = Flag.objects.filter(
            reporter=participant, statement=statement, argument=argument, resolved_at__isnull=True
        ).first()
        if open_flag is not None:
            return open_flag, False
        flag = Flag(reporter=participant, statement=statement, argument=argument, reason=reason)
        flag.full_clean(exclude=["reporter", "statement", "argument"])
        flag.save()
    return flag, True


@transaction.atomic
def flag_dismiss(*, flag: Flag, actor: User | AnonymousUser | None, reason: str = "") -> Flag:
    """Close a flag without removing its target; logged publicly. The caller checked MODERATE."""
    locked = (
        # Lock only the flag row: PostgreSQL cannot lock the nullable side of the joins.
        Flag.objects.select_for_update(of=("self",))
        .select_related("statement__space", "argument__statement__space")
        .get(pk=flag.pk)
    )
    if locked.resolved_at is not None:
        raise ValidationError({"flag": _("This flag is already resolved.")})
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["resolved_at"])
    statement = locked.statement or (locked.argument.statement if locked.argument else None)
    assert statement is not None  # the check constraint guarantees one target
    decision_log_append(
        space=statement.space,
        actor=actor,
        action=ModerationAction.Action.DISMISS_FLAG,
        statement=statement,
        argument=locked.argument,
        reason=clean_text(reason),
        detail={"flag": locked.pk, "flag_reason": locked.reason},
    )
    return locked
