"""The import_polis and export_polis management commands."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from elicitation.models import ModerationAction, Space, Vote
from tests.elicitation.polis_files import comments_rows, csv_bytes, votes_rows
from tests.factories import CommunityFactory, UserFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db


def test_import_polis_creates_a_space_from_a_real_export_folder() -> None:
    community = CommunityFactory.create(slug="seattle")
    user = UserFactory.create(username="importer")
    out = StringIO()
    call_command(
        "import_polis",
        str(polis_folder("15-per-hour-seattle")),
        "--community",
        "seattle",
        "--title",
        "Minimum wage",
        "--actor",
        "importer",
        stdout=out,
    )
    space = Space.objects.get(community=community)
    assert space.title == "Minimum wage"
    assert Vote.objects.filter(statement__space=space).count() == 2872
    assert ModerationAction.objects.get(space=space).actor == user
    assert f"Imported space {space.pk}" in out.getvalue()
    assert "54 statements, 339 participants, 2872 latest votes from 2995 vote events" in (
        out.getvalue()
    )


def test_import_polis_reports_where_a_file_is_wrong_and_imports_nothing(tmp_path: Path) -> None:
    CommunityFactory.create(slug="c")
    rows = votes_rows()
    rows[2][3] = "-4"
    (tmp_path / "comments.csv").write_bytes(csv_bytes(comments_rows()))
    (tmp_path / "votes.csv").write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError) as caught:
        call_command("import_polis", str(tmp_path), "--community", "c")
    assert str(caught.value) == (
        "Nothing imported. votes.csv, line 3, column 4 (voter-id): -4 is outside 0..2147483647"
    )
    assert not Space.objects.exists()


def test_import_polis_refuses_unknown_communities_users_and_incomplete_folders(
    tmp_path: Path,
) -> None:
    CommunityFactory.create(slug="c")
    with pytest.raises(CommandError, match="No community with slug 'nope'"):
        call_command("import_polis", str(tmp_path), "--community", "nope")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("import_polis", str(tmp_path), "--community", "c", "--actor", "ghost")
    with pytest.raises(CommandError, match=r"has no comments\.csv"):
        call_command("import_polis", str(tmp_path), "--community", "c")
    (tmp_path / "comments.csv").write_bytes(csv_bytes(comments_rows()))
    with pytest.raises(CommandError, match=r"neither votes\.csv nor participants-votes\.csv"):
        call_command("import_polis", str(tmp_path), "--community", "c")
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_polis", str(tmp_path / "missing"), "--community", "c")
    assert not Space.objects.exists()


def test_export_polis_writes_the_four_files_which_import_back(tmp_path: Path) -> None:
    community = CommunityFactory.create(slug="b")
    call_command(
        "import_polis", str(polis_folder("brexit-consensus")), "--community", "b", stdout=StringIO()
    )
    space = Space.objects.get(community=community)
    out = StringIO()
    call_command("export_polis", str(space.pk), str(tmp_path / "out"), stdout=out)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["comments.csv", "participants-votes.csv", "summary.csv", "votes.csv"]
    assert str(tmp_path / "out") in out.getvalue()
    call_command(
        "import_polis",
        str(tmp_path / "out"),
        "--community",
        "b",
        "--second-copy",
        stdout=StringIO(),
    )
    again = Space.objects.exclude(pk=space.pk).get(community=community)
    assert set(
        Vote.objects.filter(statement__space=again).values_list(
            "participant__number", "statement__number", "value"
        )
    ) == set(
        Vote.objects.filter(statement__space=space).values_list(
            "participant__number", "statement__number", "value"
        )
    )


def test_export_polis_refuses_an_unknown_space(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No space with id 999"):
        call_command("export_polis", "999", str(tmp_path))


def test_import_polis_refuses_a_nul_character_naming_file_line_and_column(tmp_path: Path) -> None:
    CommunityFactory.create(slug="c")
    rows = comments_rows()
    rows[2][9] = "Buy my\x00 product!"
    (tmp_path / "comments.csv").write_bytes(csv_bytes(rows))
    (tmp_path / "votes.csv").write_bytes(csv_bytes(votes_rows()))
    with pytest.raises(CommandError) as caught:
        call_command("import_polis", str(tmp_path), "--community", "c")
    assert str(caught.value).startswith(
        "Nothing imported. comments.csv, line 3, column 10 (comment-body): a NUL character"
    )
    assert not Space.objects.exists()
