"""Import a Pol.is export folder into a new space of a community."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from communities.models import Community
from elicitation.polis import PolisFormatError
from elicitation.polis.folders import space_import_polis_folder
from elicitation.polis.importer import DuplicateImport


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
        try:
            space = space_import_polis_folder(
                folder=options["path"],
                community=community,
                actor=actor,
                title=options["title"],
                second_copy=options["second_copy"],
            )
        except PolisFormatError as exc:
            raise CommandError(f"Nothing imported. {exc}") from None
        except DuplicateImport as exc:
            raise CommandError(f"{exc} (--second-copy)") from None
        detail = space.decisions.get().detail
        self.stdout.write(
            f"Imported space {space.pk} ({space.title!r}) into {community.slug}: "
            f"{detail['statements']} statements, {detail['participants']} participants, "
            f"{detail['votes']} latest votes from {detail['vote_events']} vote events."
        )
