"""Import a Pol.is export folder into a new space of a community."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from communities.models import Community
from elicitation import polis_io


def read_export_folder(folder: Path) -> polis_io.PolisFiles:
    """The export's files as service arguments; absent optional files are None."""
    if not folder.is_dir():
        raise CommandError(f"{folder} is not a folder")

    def read(name: str) -> bytes | None:
        path = folder / name
        return path.read_bytes() if path.is_file() else None

    comments = read(polis_io.COMMENTS)
    if comments is None:
        raise CommandError(f"{folder} has no {polis_io.COMMENTS}")
    if read(polis_io.VOTES) is None and read(polis_io.PARTICIPANTS_VOTES) is None:
        raise CommandError(
            f"{folder} has neither {polis_io.VOTES} nor {polis_io.PARTICIPANTS_VOTES}"
        )
    return {
        "comments": comments,
        "votes": read(polis_io.VOTES),
        "participants_votes": read(polis_io.PARTICIPANTS_VOTES),
        "summary": read(polis_io.SUMMARY),
    }


class Command(BaseCommand):
    help = (
        "Import a Pol.is export folder (comments.csv and votes.csv and/or "
        "participants-votes.csv, optional summary.csv) into a new space."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the export folder")
        parser.add_argument("--community", required=True, help="slug of the community")
        parser.add_argument("--title", default="", help="space title (default: the topic)")
        parser.add_argument(
            "--actor", default="", help="username recorded as the importer in the decision log"
        )
        parser.add_argument(
            "--second-copy",
            action="store_true",
            help="import even when the community already has a space with these comments",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with slug {options['community']!r}")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['actor']!r}")
        files = read_export_folder(options["path"])
        try:
            space = polis_io.space_import_polis(
                community=community,
                actor=actor,
                title=options["title"],
                second_copy=options["second_copy"],
                **files,
            )
        except polis_io.PolisFormatError as exc:
            raise CommandError(f"Nothing imported. {exc}") from None
        except polis_io.DuplicateImport as exc:
            raise CommandError(f"{exc} (--second-copy)") from None
        detail = space.decisions.get().detail
        self.stdout.write(
            f"Imported space {space.pk} ({space.title!r}) into {community.slug}: "
            f"{detail['statements']} statements, {detail['participants']} participants, "
            f"{detail['votes']} latest votes from {detail['vote_events']} vote events."
        )
