"""Write a space as a Pol.is export folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from elicitation.models import Space
from elicitation.polis.exporter import ExportMode
from elicitation.polis.folders import space_export_polis_folder


class Command(BaseCommand):
    help = (
        "Export a space as Pol.is CSV files (comments.csv, votes.csv, "
        "participants-votes.csv, summary.csv) into OUT_DIR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("space_id", type=int)
        parser.add_argument("out_dir", type=Path)
        parser.add_argument(
            "--mode",
            choices=[m.value for m in ExportMode],
            default=ExportMode.EXACT.value,
            help="exact (default): the texts as stored, for tools and re-import; safe: text "
            "cells starting with = + - @ tab or CR get a leading quote, for spreadsheets",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        space = Space.objects.filter(pk=options["space_id"]).first()
        if space is None:
            raise CommandError(f"No space with id {options['space_id']}")
        out: Path = options["out_dir"]
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a folder")
        names = space_export_polis_folder(space=space, out=out, mode=ExportMode(options["mode"]))
        self.stdout.write(f"Wrote {', '.join(names)} of space {space.pk} to {out}")
