"""Similar statements by meaning: the rule on written pairs, the proposal check, merges, pairwise."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from aggregation.engine import embedding, similar
from elicitation import selectors, services
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    StatementEmbedding,
    Vote,
    VoteEvent,
)
from tests.elicitation.similar_pairs import DIFFERENT, SAME
from tests.factories import StatementFactory

RIVER = "The riverside paths must stay open to everyone."
NOISE = "Night-time noise rules should be stricter."


def test_the_written_pairs_are_enough_to_judge_the_rule() -> None:
    assert len(SAME) >= 40
    assert len(DIFFERENT) >= 40
    negations = [p for p in DIFFERENT if similar.polarity(p[0]) != similar.polarity(p[1])]
    assert len(negations) >= 20


def test_precision_and_recall_on_the_written_pairs_are_at_least_0_9() -> None:
    def judged(pairs: list[tuple[str, str]]) -> list[bool]:
        a = embedding.embed([p[0] for p in pairs])
        b = embedding.embed([p[1] for p in pairs])
        scores = (a * b).sum(axis=1)
        return [
            similar.same_statement(float(s), x, y) for s, (x, y) in zip(scores, pairs, strict=True)
        ]

    same = judged(SAME)
    different = judged(DIFFERENT)
    true_positive = sum(same)
    false_positive = sum(different)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / len(SAME)
    assert precision >= 0.9, precision
    assert recall >= 0.9, recall


def test_negations_and_opposites_are_never_the_same_however_alike() -> None:
    for text, opposite in [
        (NOISE, "Night-time noise rules should not be stricter."),
        (NOISE, "Night-time noise rules should be relaxed."),
        ("Cars should be banned from the centre.", "Cars should be allowed in the centre."),
    ]:
        vectors = embedding.embed([text, opposite])
        score = float(vectors[0] @ vectors[1])
        assert score > 0.85  # the model alone would call them the same
        assert not similar.same_statement(score, text, opposite)


def test_the_embedding_is_a_unit_vector_and_deterministic() -> None:
    first = embedding.embed([RIVER, NOISE])
    again = embedding.embed([NOISE, RIVER])
    assert first.shape == (2, embedding.DIMENSIONS)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.allclose(first[0], again[1], atol=1e-6)


# --- The proposal check ------------------------------------------------------------


def _accepted(space: Space, number: int, text: str) -> Statement:
    """A seed statement (numbered by the space's counter), embedded as the worker would."""
    statement = services.statement_seed(space=space, actor=None, text=text)
    assert statement.number == number
    services.statements_embed_missing(space_id=space.pk)
    return statement


@pytest.mark.django_db
def test_the_api_answers_409_similar_with_the_closest_statements(
    api: APIClient, space: Space
) -> None:
    _accepted(space, 1, RIVER)
    _accepted(space, 2, "Cars should be banned from the town centre on weekends.")
    url = f"/api/v1/spaces/{space.pk}/statements/"

    response = api.post(
        url, {"text": "The paths along the river must remain open to everyone."}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "similar"
    assert [s["number"] for s in body["similar"]] == [1]
    assert body["similar"][0]["text"] == RIVER
    assert 0.72 <= body["similar"][0]["similarity"] <= 1
    assert body["similar"][0]["url"] == f"/s/{space.pk}/statements/1/"
    assert Statement.objects.filter(space=space).count() == 2


@pytest.mark.django_db
def test_distinct_true_proposes_anyway_and_stores_the_embedding(
    api: APIClient, space: Space
) -> None:
    _accepted(space, 1, RIVER)
    url = f"/api/v1/spaces/{space.pk}/statements/"

    response = api.post(
        url,
        {"text": "The paths along the river must remain open to everyone.", "distinct": True},
        format="json",
    )

    assert response.status_code == 201
    created = Statement.objects.get(space=space, number=response.json()["number"])
    stored = StatementEmbedding.objects.get(statement=created)
    assert stored.model == embedding.MODEL_NAME
    assert len(bytes(stored.vector)) == embedding.DIMENSIONS * 4


@pytest.mark.django_db
def test_a_negation_of_an_existing_statement_is_proposed_without_a_question(
    api: APIClient, space: Space
) -> None:
    _accepted(space, 1, NOISE)

    response = api.post(
        f"/api/v1/spaces/{space.pk}/statements/",
        {"text": "Night-time noise rules should not be stricter."},
        format="json",
    )

    assert response.status_code == 201


@pytest.mark.django_db
def test_a_copy_is_still_a_duplicate_not_merely_similar(api: APIClient, space: Space) -> None:
    _accepted(space, 1, RIVER)

    response = api.post(
        f"/api/v1/spaces/{space.pk}/statements/",
        {"text": RIVER.upper(), "distinct": True},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["duplicate_of"]["number"] == 1


@pytest.mark.django_db
def test_the_page_shows_the_similar_statements_and_a_propose_anyway_button(
    client: Client, space: Space
) -> None:
    _accepted(space, 1, RIVER)
    url = f"/s/{space.pk}/propose/"
    paraphrase = "The paths along the river must remain open to everyone."

    asked = client.post(url, {"text": paraphrase}, HTTP_HX_REQUEST="true")
    confirmed = client.post(url, {"text": paraphrase, "distinct": "1"}, HTTP_HX_REQUEST="true")

    assert asked.status_code == 409
    page = asked.content.decode()
    assert f'href="/s/{space.pk}/statements/1/"' in page
    assert "Propose anyway" in page
    assert 'name="distinct" value="1"' in page
    assert confirmed.status_code == 201
    assert Statement.objects.filter(space=space, text=paraphrase).exists()


# --- Merges and pairwise ------------------------------------------------------------


def _vote(participant: Participant, statement: Statement, value: int) -> None:
    VoteEvent.objects.create(participant=participant, statement=statement, value=value)
    Vote.objects.create(participant=participant, statement=statement, value=value)


@pytest.mark.django_db
def test_a_merge_keeps_every_vote_event_and_counts_votes_for_the_survivor(
    space: Space, facilitator: User
) -> None:
    keep = _accepted(space, 1, RIVER)
    twin = _accepted(space, 2, "The paths along the river must remain open to everyone.")
    people = [Participant.objects.create(space=space, number=i) for i in range(1, 5)]
    _vote(people[0], keep, 1)
    _vote(people[0], twin, -1)  # voted on both: the survivor's vote stands
    _vote(people[1], twin, 1)
    _vote(people[2], twin, -1)
    events_before = set(VoteEvent.objects.values_list("participant", "statement", "value"))

    carried = services.statement_merge(space=space, source=twin, target=keep, actor=facilitator)

    assert carried == 2
    events_after = set(VoteEvent.objects.values_list("participant", "statement", "value"))
    assert events_before <= events_after
    latest = dict(Vote.objects.filter(statement=keep).values_list("participant", "value"))
    assert latest == {people[0].pk: 1, people[1].pk: 1, people[2].pk: -1}
    twin.refresh_from_db()
    assert twin.status == ModerationStatus.REJECTED
    entry = ModerationAction.objects.get(space=space, action=ModerationAction.Action.MERGE)
    assert entry.statement == twin
    assert entry.detail["into"] == 1
    assert entry.detail["votes_carried"] == 2


@pytest.mark.django_db
def test_facilitators_see_near_duplicates_in_moderation_and_merge_them(
    client: Client, space: Space, facilitator: User
) -> None:
    _accepted(space, 1, RIVER)
    _accepted(space, 2, "The paths along the river must remain open to everyone.")
    _accepted(space, 3, "Night-time noise rules should be stricter.")
    _accepted(space, 4, "Night-time noise rules should not be stricter.")
    client.force_login(facilitator)

    page = client.get(f"/s/{space.pk}/moderation/").content.decode()
    merged = client.post(f"/s/{space.pk}/moderation/statements/2/merge/", {"into": "1"})

    assert "Statements that say the same (1)" in page
    assert "Merge into" in page
    assert merged.status_code == 302
    assert Statement.objects.get(space=space, number=2).status == ModerationStatus.REJECTED
    assert services.duplicate_clusters(space=space) == []


@pytest.mark.django_db
def test_participants_cannot_merge(client: Client, space: Space, member: User) -> None:
    _accepted(space, 1, RIVER)
    _accepted(space, 2, "The paths along the river must remain open to everyone.")
    client.force_login(member)

    response = client.post(f"/s/{space.pk}/moderation/statements/2/merge/", {"into": "1"})

    assert response.status_code in (403, 404)
    assert Statement.objects.get(space=space, number=2).status == ModerationStatus.ACCEPTED


@pytest.mark.django_db
def test_pairwise_never_pairs_two_statements_that_say_the_same(space: Space) -> None:
    _accepted(space, 1, RIVER)
    _accepted(space, 2, "The paths along the river must remain open to everyone.")
    _accepted(space, 3, "Cars should be banned from the town centre on weekends.")
    participant = Participant.objects.create(space=space, number=1)
    seen: set[frozenset[int]] = set()

    for _ in range(6):
        pair = selectors.pair_next(space=space, participant=participant)
        assert pair is not None
        seen.add(frozenset(s.number for s in pair))
        services.comparison_record(
            participant=participant,
            statement_a=pair[0].number,
            statement_b=pair[1].number,
            choice="a",
        )

    assert frozenset((1, 2)) not in seen
    assert seen <= {frozenset((1, 3)), frozenset((2, 3))}


@pytest.mark.django_db
def test_embedding_the_missing_statements_is_idempotent(space: Space) -> None:
    StatementFactory.create(space=space, number=1, text=RIVER)
    StatementFactory.create(space=space, number=2, text=NOISE)

    first = services.statements_embed_missing(space_id=space.pk)
    again = services.statements_embed_missing(space_id=space.pk)

    assert first == 2
    assert again == 0
    assert StatementEmbedding.objects.filter(statement__space=space).count() == 2


@pytest.mark.django_db
def test_the_spelling_rule_no_longer_refuses_an_opposite_as_a_duplicate(
    api: APIClient, space: Space
) -> None:
    url = f"/api/v1/spaces/{space.pk}/statements/"
    first = api.post(url, {"text": "Taxes on fuel should increase."}, format="json")

    opposite = api.post(url, {"text": "Taxes on fuel should decrease."}, format="json")

    assert first.status_code == 201
    assert opposite.status_code == 201, opposite.json()
