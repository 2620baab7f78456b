"""Pol.is import service: what lands in the database, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError

from communities.models import Community
from communities.roles import Role
from elicitation import polis
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Participant,
    Space,
    Statement,
    Vote,
    VoteEvent,
)
from elicitation.polis import importer
from tests.elicitation.polis_files import (
    COMMENTS_HEADER,
    comments_rows,
    csv_bytes,
    good_files,
    votes_rows,
)
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Space, Participant, Statement, Vote, VoteEvent, ModerationAction)
    }


def test_it_imports_statements_participants_history_and_moderation_into_a_new_space() -> None:
    user = UserFactory.create()
    community = CommunityFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)

    space = polis.space_import_polis(
        community=community, actor=user, title="Rivers", **good_files()
    )

    assert space.community == community
    assert space.title == "Rivers"
    assert space.phase == Space.Phase.DRAFT
    statements = {s.number: s for s in Statement.objects.filter(space=space)}
    assert set(statements) == {0, 1, 2}
    assert statements[0].status == ModerationStatus.ACCEPTED
    assert statements[1].status == ModerationStatus.REJECTED
    assert statements[2].status == ModerationStatus.PENDING
    assert statements[0].is_seed
    assert not statements[0].is_meta
    assert statements[2].is_meta
    assert statements[2].text == 'Line one\nline two, "quoted"'
    assert statements[1].created_at == datetime(2020, 9, 13, 12, 26, 41, tzinfo=UTC)
    assert statements[1].author is not None
    assert statements[1].author.number == 1
    assert sorted(Participant.objects.filter(space=space).values_list("number", flat=True)) == [
        0,
        1,
        2,
        3,
    ]
    # The full history is kept; the latest vote per participant and statement counts.
    assert VoteEvent.objects.filter(statement__space=space).count() == 5
    latest = {
        (v.participant.number, v.statement.number): v.value
        for v in Vote.objects.filter(statement__space=space).select_related(
            "participant", "statement"
        )
    }
    assert latest == {(0, 0): 1, (1, 0): 1, (0, 1): 0, (3, 2): -1}
    changed = Vote.objects.get(statement__space=space, participant__number=1)
    assert changed.updated_at == datetime(2020, 9, 13, 12, 27, 0, tzinfo=UTC)
    # Counters move past the imported ids, so new participants and statements get fresh numbers.
    assert space.participant_counter == 4
    assert space.statement_counter == 3
    decision = ModerationAction.objects.get(space=space)
    assert decision.action == ModerationAction.Action.IMPORT
    assert decision.actor == user
    assert decision.actor_role == Role.FACILITATOR
    assert decision.detail["vote_events"] == 5
    assert decision.detail["votes"] == 4


def test_the_worker_embeds_the_imported_statements_once_the_import_commits(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    # So the first analysis run of a large import need not embed thousands
    # of statements itself (aggregation.services.run_sensemaking).
    from elicitation import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.statements_embed, "delay", sent.append)
    community = CommunityFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        space = polis.space_import_polis(community=community, actor=None, **good_files())

    assert sent == [space.pk]


def test_it_takes_the_title_question_and_description_from_summary_csv() -> None:
    community = CommunityFactory.create()
    summary = csv_bytes(
        [["topic", "Clean rivers"], ["conversation-description", "What should we do?\nTell us."]]
    )
    files = good_files()
    files["summary"] = summary
    space = polis.space_import_polis(community=community, actor=None, **files)
    assert space.title == "Clean rivers"
    assert space.question == "Clean rivers"
    assert space.description == "What should we do?\nTell us."
    assert space.slug == "clean-rivers"
    # A second copy, confirmed, gets a slug of its own.
    again = polis.space_import_polis(community=community, actor=None, second_copy=True, **files)
    assert again.slug == "clean-rivers-2"


def test_it_imports_latest_votes_and_xids_from_participants_votes_csv_alone() -> None:
    community = CommunityFactory.create()
    wide = csv_bytes(
        [
            ["participant", "xid", "group-id", "n-comments", "n-votes", "0", "1", "2"],
            [0, "ext-a", 0, 1, 2, 1, 0, ""],
            [1, "", 1, 1, 1, -1, "", ""],
            [5, "ext-b", "", 0, 0, "", "", ""],
        ]
    )
    space = polis.space_import_polis(
        community=community,
        actor=None,
        comments=csv_bytes(comments_rows()),
        participants_votes=wide,
    )
    latest = set(
        Vote.objects.filter(statement__space=space).values_list(
            "participant__number", "statement__number", "value"
        )
    )
    assert latest == {(0, 0, 1), (0, 1, 0), (1, 0, -1)}
    assert VoteEvent.objects.filter(statement__space=space).count() == 3
    xids = dict(Participant.objects.filter(space=space).values_list("number", "xid"))
    # participant 5 never voted but is listed; 2 only authored a comment
    assert xids == {0: "ext-a", 1: "", 2: "", 5: "ext-b"}
    assert ModerationAction.objects.get(space=space).detail["history"] is False


def _replace(rows: list[list[object]], line: int, column: int, value: object) -> bytes:
    rows[line - 1][column - 1] = value
    return csv_bytes(rows)


MALFORMED = [
    pytest.param(
        {"comments": csv_bytes([[c for c in COMMENTS_HEADER if c != "moderated"]])},
        ("comments.csv", 1, "moderated", "missing column(s) 'moderated'; the header has "),
        id="missing-column",
    ),
    pytest.param(
        {"votes": _replace(votes_rows(), 3, 4, "abc")},
        ("votes.csv", 3, "4 (voter-id)", "'abc' is not a whole number"),
        id="bad-number",
    ),
    pytest.param(
        {"votes": _replace(votes_rows(), 4, 5, "2")},
        ("votes.csv", 4, "5 (vote)", "vote '2' is not 1 (agree), -1 (disagree) or 0 (pass)"),
        id="unknown-vote-value",
    ),
    pytest.param(
        {"votes": _replace(votes_rows(), 6, 3, 99)},
        ("votes.csv", 6, "3 (comment-id)", "comment 99 is not in comments.csv"),
        id="vote-on-absent-comment",
    ),
    pytest.param(
        {"comments": csv_bytes([[*COMMENTS_HEADER, "comment-id"], *comments_rows()[1:]])},
        ("comments.csv", 1, "11 (comment-id)", "duplicate header 'comment-id' (also column 3)"),
        id="duplicate-header",
    ),
    pytest.param(
        {"comments": csv_bytes(comments_rows()).replace(b"Buy my", "Caf\u00e9".encode("latin-1"))},
        ("comments.csv", 3, "10", "byte 0xe9 is not UTF-8 text; save the file as UTF-8"),
        id="wrong-encoding",
    ),
    pytest.param(
        {"comments": _replace(comments_rows(), 3, 3, 0)},
        ("comments.csv", 3, "3 (comment-id)", "comment 0 appears twice (first on line 2)"),
        id="duplicate-comment-id",
    ),
    pytest.param(
        {"comments": _replace(comments_rows(), 2, 7, 2)},
        ("comments.csv", 2, "7 (moderated)", "2 is outside -1..1"),
        id="moderated-out-of-range",
    ),
    pytest.param(
        {"comments": _replace(comments_rows(), 2, 10, "   ")},
        ("comments.csv", 2, "10 (comment-body)", "the comment text is empty"),
        id="empty-comment",
    ),
    pytest.param(
        {"comments": _replace(comments_rows(), 2, 8, "maybe")},
        ("comments.csv", 2, "8 (is-meta)", "'maybe' is not true or false"),
        id="bad-boolean",
    ),
    pytest.param(
        {"votes": csv_bytes([*votes_rows(), [1, "", 0]])},
        ("votes.csv", 7, "4", "3 fields where the header has 5"),
        id="short-row",
    ),
    pytest.param(
        {"votes": b""},
        ("votes.csv", 1, None, "the file is empty (no header line)"),
        id="empty-file",
    ),
    pytest.param(
        {"votes": None},
        ("votes.csv", None, None, "votes.csv or participants-votes.csv is required"),
        id="no-votes-file",
    ),
    pytest.param(
        {
            "votes": None,
            "participants_votes": csv_bytes([["participant", "0", "1"], [0, 1, ""], [1, "", "x"]]),
        },
        ("participants-votes.csv", 3, "3 (1)", "'x' is not a whole number"),
        id="participants-votes-bad-cell",
    ),
    pytest.param(
        {
            "votes": None,
            "participants_votes": csv_bytes([["participant", "0", "7"], [0, 1, 1]]),
        },
        (
            "participants-votes.csv",
            2,
            "3 (7)",
            "a vote on comment 7, which is not in comments.csv",
        ),
        id="participants-votes-absent-comment",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), MALFORMED)
def test_it_refuses_a_malformed_file_naming_file_line_and_column_and_saves_nothing(
    changes: dict[str, bytes | None], expected: tuple[str, int | None, str | None, str]
) -> None:
    community = CommunityFactory.create()
    files: dict[str, bytes | None] = {**good_files(), **changes}  # type: ignore[dict-item]
    before = _counts()

    with pytest.raises(polis.PolisFormatError) as caught:
        polis.space_import_polis(
            community=community,
            actor=None,
            comments=files.get("comments") or b"",
            votes=files.get("votes"),
            participants_votes=files.get("participants_votes"),
        )

    error = caught.value
    assert (error.file, error.line, error.column) == expected[:3]
    assert error.problem.startswith(expected[3])
    assert str(error).startswith(expected[0])
    assert _counts() == before


def test_a_failure_while_writing_leaves_no_partial_space(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    community = CommunityFactory.create()
    before = _counts()
    real_insert = importer.insert_vote_rows

    def insert_then_fail(model: type[Vote] | type[VoteEvent], **columns: Any) -> None:
        real_insert(model, **columns)
        if model is Vote:
            raise IntegrityError("simulated failure after the vote events were written")

    monkeypatch.setattr(importer, "insert_vote_rows", insert_then_fail)
    with pytest.raises(IntegrityError):
        polis.space_import_polis(community=community, actor=None, **good_files())
    assert _counts() == before
    assert Community.objects.filter(pk=community.pk).exists()


def test_the_export_costs_the_same_few_queries_whatever_the_size_of_the_space(
    django_assert_max_num_queries: Any,
) -> None:
    from tests.elicitation.polis_files import read_folder
    from tests.requirements import polis_folder

    community = CommunityFactory.create()
    small = polis.space_import_polis(community=community, actor=None, **good_files())
    large = polis.space_import_polis(
        community=community, actor=None, **read_folder(polis_folder("brexit-consensus"))
    )
    for space in (small, large):
        with django_assert_max_num_queries(5):
            polis.polis_export_files(space=space)


def test_a_proposal_repeating_an_imported_comment_is_refused_as_a_duplicate() -> None:
    from elicitation import services

    community = CommunityFactory.create()
    space = polis.space_import_polis(community=community, actor=None, **good_files())
    space.phase = Space.Phase.OPEN
    space.save(update_fields=["phase"])
    participant = Participant.objects.get(space=space, number=3)
    with pytest.raises(services.DuplicateStatement) as caught:
        services.statement_propose(
            space=space, participant=participant, text="Rivers SHOULD stay clean!"
        )
    assert caught.value.existing.number == 0
    assert Statement.objects.filter(space=space).count() == 3
