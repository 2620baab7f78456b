"""Moderating several pending statements at once (the facilitator dashboard's queue)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from elicitation import services
from elicitation.models import ModerationStatus, Space, Statement

# "meta" approves the statement and marks it as about the process, not a value.
BULK_DECISIONS = ("approve", "reject", "meta")
BULK_LIMIT = 200


@transaction.atomic
def statements_moderate_bulk(
    *,
    space: Space,
    actor: Any,
    numbers: Sequence[Any],
    decision: str,
    reason: str = "",
) -> list[Statement]:
    """Apply one decision to the given pending statements of `space`, all or none.

    Precondition: the caller checked that `actor` may moderate the space.
    Each statement goes through `services.statement_moderate`, so each gets
    its own line in the public decision log; if any fails (no longer
    pending, rejected without a reason) nothing is changed.
    """
    if decision not in BULK_DECISIONS:
        raise ValidationError(
            {
                "decision": _("Unknown decision %(decision)r; use approve, reject or meta.")
                % {"decision": decision}
            }
        )
    wanted: list[int] = []
    for raw in numbers:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(
                {"statement": _("%(raw)r is not a statement number.") % {"raw": raw}}
            ) from None
    if not wanted:
        raise ValidationError({"statement": _("Tick at least one statement.")})
    if len(wanted) > BULK_LIMIT:
        raise ValidationError(
            {"statement": _("At most %(limit)s statements at once.") % {"limit": BULK_LIMIT}}
        )
    found = {
        s.number: s
        for s in Statement.objects.filter(space=space, number__in=wanted).select_related("space")
    }
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValidationError(
            {
                "statement": _("No such statement here: %(numbers)s")
                % {"numbers": ", ".join(f"#{n}" for n in missing)}
            }
        )
    not_pending = sorted(n for n, s in found.items() if s.status != ModerationStatus.PENDING)
    if not_pending:
        raise ValidationError(
            {
                "statement": _("Already decided (reload the queue): %(numbers)s")
                % {"numbers": ", ".join(f"#{n}" for n in not_pending)}
            }
        )
    done = []
    for number in sorted(set(wanted)):
        done.append(
            services.statement_moderate(
                statement=found[number],
                actor=actor,
                decision="approve" if decision == "meta" else decision,
                reason=reason,
                is_meta=True if decision == "meta" else None,
            )
        )
    return done
