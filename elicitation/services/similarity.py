"""Statements that say the same thing by meaning: embeddings, the proposal check, merges.

The embedding of a statement is computed once and stored (StatementEmbedding):
at proposal time (the check computes it anyway) or by the Celery task
`statements_embed` for seeds, imports and anything proposed while the model
was not installed. Without the model package the checks are skipped and the
spelling rules (elicitation.text) still refuse duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from aggregation.engine import embedding, similar
from config.exceptions import Conflict
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Space,
    Statement,
    StatementEmbedding,
    Vote,
    VoteEvent,
)
from elicitation.services.decisions import decision_log_append

# How many statements the task embeds in one batch (and one transaction).
EMBED_BATCH = 256


def vector_bytes(vector: NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from(data: bytes | memoryview) -> NDArray[np.float32]:
    return np.frombuffer(bytes(data), dtype="<f4")


@dataclass(frozen=True)
class SimilarStatement:
    number: int
    text: str
    similarity: float


class SimilarStatements(Conflict):
    """Existing statements say the same by meaning; the proposer may confirm it differs."""

    def __init__(self, matches: list[SimilarStatement], *, space_id: int) -> None:
        numbers = ", ".join(f"#{m.number}" for m in matches)
        super().__init__(
            _(
                "Statements already in this space say much the same (%(numbers)s). Vote on "
                "those instead, or confirm that yours says something different."
            )
            % {"numbers": numbers},
            code="similar",
            extra={
                "similar": [
                    {
                        "number": m.number,
                        "text": m.text,
                        "similarity": m.similarity,
                        "url": reverse(
                            "elicitation:statement",
                            kwargs={"space_id": space_id, "number": m.number},
                        ),
                    }
                    for m in matches
                ]
            },
        )
        self.matches = matches


def _space_vectors(
    space: Space, *, statuses: tuple[str, ...]
) -> tuple[list[tuple[int, str]], NDArray[np.float32]]:
    """(number, text) and the stored vectors of the space's statements with these statuses."""
    rows = list(
        StatementEmbedding.objects.filter(
            statement__space=space,
            statement__status__in=statuses,
            model=embedding.MODEL_NAME,
        )
        .order_by("statement__number")
        .values_list("statement__number", "statement__text", "vector")
    )
    if not rows:
        return [], np.zeros((0, embedding.DIMENSIONS), dtype=np.float32)
    matrix = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype="<f4").reshape(
        len(rows), embedding.DIMENSIONS
    )
    return [(r[0], r[1]) for r in rows], matrix


def statements_similar(
    *, space: Space, text: str
) -> tuple[list[SimilarStatement], NDArray[np.float32] | None]:
    """Accepted statements that say what `text` says, and the embedding of `text`.

    ([], None) without the model. Only accepted statements are offered: they
    are the ones a participant can open and vote on.
    """
    if not embedding.available():
        return [], None
    vector = embedding.embed([text])[0]
    known, matrix = _space_vectors(space, statuses=(ModerationStatus.ACCEPTED,))
    matches = similar.similar_to(vector, text, matrix, [t for _n, t in known])
    return (
        [
            SimilarStatement(
                number=known[m.index][0], text=known[m.index][1], similarity=m.similarity
            )
            for m in matches
        ],
        vector,
    )


def statement_embedding_store(*, statement: Statement, vector: NDArray[np.float32]) -> None:
    StatementEmbedding.objects.update_or_create(
        statement=statement,
        defaults={"model": embedding.MODEL_NAME, "vector": vector_bytes(vector)},
    )


def statements_unembedded_count(*, space_id: int) -> int:
    """How many of the space's statements have no embedding by the current model."""
    if not embedding.available():
        return 0
    return (
        Statement.objects.filter(space_id=space_id)
        .exclude(embedding__model=embedding.MODEL_NAME)
        .count()
    )


def statements_embed_missing(*, space_id: int) -> int:
    """Embed the statements of a space that have no current embedding; how many were embedded.

    Idempotent: a retried task finds nothing left to do.
    """
    if not embedding.available():
        return 0
    done = 0
    while True:
        missing = list(
            Statement.objects.filter(space_id=space_id)
            .exclude(embedding__model=embedding.MODEL_NAME)
            .order_by("number")
            .values_list("id", "text")[:EMBED_BATCH]
        )
        if not missing:
            return done
        vectors = embedding.embed([text for _id, text in missing])
        with transaction.atomic():
            StatementEmbedding.objects.filter(statement_id__in=[i for i, _t in missing]).delete()
            StatementEmbedding.objects.bulk_create(
                StatementEmbedding(
                    statement_id=statement_id, model=embedding.MODEL_NAME, vector=vector_bytes(v)
                )
                for (statement_id, _text), v in zip(missing, vectors, strict=True)
            )
        done += len(missing)


def duplicate_clusters(*, space: Space) -> list[list[Statement]]:
    """Groups of live statements (pending or accepted) that say the same, for moderators."""
    known, matrix = _space_vectors(
        space, statuses=(ModerationStatus.PENDING, ModerationStatus.ACCEPTED)
    )
    clusters = similar.duplicate_clusters(matrix, [t for _n, t in known])
    if not clusters:
        return []
    numbers = [[known[i][0] for i in cluster] for cluster in clusters]
    by_number = {
        s.number: s
        for s in Statement.objects.filter(space=space, number__in=[n for c in numbers for n in c])
    }
    return [[by_number[n] for n in c] for c in numbers]


def near_duplicates(*, space: Space, a: int, b: int) -> bool:
    """Whether statements number `a` and `b` of the space say the same (pairwise avoids them)."""
    rows = dict(
        StatementEmbedding.objects.filter(
            statement__space=space, statement__number__in=[a, b], model=embedding.MODEL_NAME
        ).values_list("statement__number", "vector")
    )
    if len(rows) < 2:
        return False
    texts = dict(
        Statement.objects.filter(space=space, number__in=[a, b]).values_list("number", "text")
    )
    score = float(vector_from(rows[a]) @ vector_from(rows[b]))
    return similar.same_statement(score, texts[a], texts[b])


def statement_merge(
    *, space: Space, source: Statement, target: Statement, actor: User | AnonymousUser | None
) -> int:
    """Merge `source` into `target`: source's votes count for target where the voter had none.

    Every vote event of `source` stays in the history; each carried vote is
    written as a new event on `target` (its value and original time kept in
    the decision log's detail). `source` is rejected with the reason "merged
    into #N", in the public decision log. Returns the number of votes carried.
    """
    if source.space_id != space.pk or target.space_id != space.pk:
        raise ValidationError(_("Both statements must belong to this space."))
    if source.pk == target.pk:
        raise ValidationError(_("A statement cannot be merged into itself."))
    if target.status != ModerationStatus.ACCEPTED:
        raise Conflict(
            _("Statement #%(number)s is not accepted; merge into an accepted one.")
            % {"number": target.number},
            code="not_accepted",
        )
    if source.status == ModerationStatus.REJECTED:
        raise Conflict(
            _("Statement #%(number)s is already removed.") % {"number": source.number},
            code="removed",
        )
    now = timezone.now()
    with transaction.atomic():
        voted_target = set(
            Vote.objects.filter(statement=target).values_list("participant_id", flat=True)
        )
        carried = [
            v
            for v in Vote.objects.filter(statement=source).select_for_update()
            if v.participant_id not in voted_target
        ]
        Vote.objects.bulk_create(
            Vote(participant_id=v.participant_id, statement=target, value=v.value, updated_at=now)
            for v in carried
        )
        VoteEvent.objects.bulk_create(
            VoteEvent(
                participant_id=v.participant_id, statement=target, value=v.value, created_at=now
            )
            for v in carried
        )
        source.status = ModerationStatus.REJECTED
        source.save(update_fields=["status"])
        decision_log_append(
            space=space,
            actor=actor,
            action=ModerationAction.Action.MERGE,
            statement=source,
            reason=f"Merged into #{target.number}: it says the same.",
            detail={
                "into": target.number,
                "votes_carried": len(carried),
                "votes_kept_on_target": Vote.objects.filter(statement=source).count()
                - len(carried),
            },
        )
    return len(carried)
