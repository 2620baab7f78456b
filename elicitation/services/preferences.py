"""Pairwise comparisons and rankings of a space's statements."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import (
    Comparison,
    ModerationStatus,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    Statement,
)
from elicitation.services.common import _require_input, statement_number_in_range
from elicitation.text import clean_text


def _accepted_statements(space: Space, numbers: list[int], field: str) -> dict[int, Statement]:
    found = {
        s.number: s
        for s in Statement.objects.filter(space=space, number__in=numbers).only(
            "id", "number", "status", "text", "space_id"
        )
    }
    for number in numbers:
        statement = found.get(number)
        if statement is None:
            raise ValidationError(
                {field: _("There is no statement #%(number)s here.") % {"number": number}}
            )
        if statement.status != ModerationStatus.ACCEPTED:
            raise ValidationError(
                {field: _("Statement #%(number)s is not open for this.") % {"number": number}}
            )
    return found


def _in_range(number: int, field: str) -> int:
    if not statement_number_in_range(number):
        raise ValidationError(
            {field: _("There is no statement #%(number)s here.") % {"number": number}}
        )
    return number


@transaction.atomic
def comparison_record(
    *, participant: Participant, statement_a: int, statement_b: int, choice: str, reason: str = ""
) -> tuple[Comparison, bool]:
    """Record "which matters more?"; returns (comparison, created).

    The statement numbers come parsed from the edge (ComparisonForm, the API's
    serializer); the caller checked that the person may take part.

    Submitting the same pair again right after (a replay or a correction)
    updates that last comparison instead of adding a second one.
    """
    space = participant.space
    _require_input(space, "pairwise")
    a = _in_range(statement_a, "statement_a")
    b = _in_range(statement_b, "statement_b")
    if a == b:
        raise ValidationError({"statement_b": _("Compare two different statements.")})
    if choice not in Comparison.Choice.values:
        raise ValidationError({"choice": _("Choose a, b or neither (can't decide).")})
    reason = clean_text(reason)
    if len(reason) > 500:
        raise ValidationError({"reason": _("A reason has at most 500 characters.")})
    found = _accepted_statements(space, [a, b], "statement_a")
    last = (
        Comparison.objects.select_for_update()
        .filter(participant=participant)
        .order_by("-created_at", "-id")
        .first()
    )
    pair = {found[a].pk, found[b].pk}
    if last is not None and {last.statement_a_id, last.statement_b_id} == pair:
        # Keep the stored orientation; translate the choice if sides were swapped.
        if last.statement_a_id != found[a].pk and choice != Comparison.Choice.NEITHER:
            choice = Comparison.Choice.B if choice == Comparison.Choice.A else Comparison.Choice.A
        last.choice = choice
        last.reason = reason
        last.full_clean(exclude=["participant", "statement_a", "statement_b"])
        last.save(update_fields=["choice", "reason"])
        return last, False
    comparison = Comparison(
        participant=participant,
        statement_a=found[a],
        statement_b=found[b],
        choice=choice,
        reason=reason,
    )
    comparison.full_clean(exclude=["participant", "statement_a", "statement_b"])
    comparison.save()
    return comparison, True


def ranking_submit(*, participant: Participant, statement_numbers: list[int]) -> Ranking:
    """Replace the participant's ballot with `statement_numbers`, first choice first.

    The caller checked that the person may take part and parsed the numbers.
    """
    space = participant.space
    _require_input(space, "ranking")
    numbers = [_in_range(n, "statements") for n in statement_numbers]
    if not numbers:
        raise ValidationError({"statements": _("Pick at least one statement to rank.")})
    if len(numbers) > space.ranking_size:
        raise ValidationError(
            {
                "statements": _("Rank at most %(size)s statements; you gave %(given)s.")
                % {"size": space.ranking_size, "given": len(numbers)}
            }
        )
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        listed = ", ".join(f"#{n}" for n in repeated)
        raise ValidationError(
            {
                "statements": _("Each statement once only; repeated: %(listed)s.")
                % {"listed": listed}
            }
        )
    found = _accepted_statements(space, numbers, "statements")
    with transaction.atomic():
        try:
            with transaction.atomic():
                ranking, _created = Ranking.objects.get_or_create(participant=participant)
        except IntegrityError:
            ranking = Ranking.objects.get(participant=participant)
        # Lock the ballot so two submissions replace it one after the other.
        ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
        RankingEntry.objects.filter(ranking=ranking).delete()
        RankingEntry.objects.bulk_create(
            [
                RankingEntry(ranking=ranking, statement=found[n], position=i)
                for i, n in enumerate(numbers, start=1)
            ]
        )
        ranking.updated_at = timezone.now()
        ranking.save(update_fields=["updated_at"])
    return ranking
