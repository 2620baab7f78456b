"""Export folders on disk, for the import_polis and export_polis commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aggregation.engine.polis_csv import open_export_folder
from communities.models import Community
from elicitation.models import Space
from elicitation.polis.exporter import ExportMode, polis_export_files
from elicitation.polis.importer import space_import_polis

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def space_import_polis_folder(
    *,
    folder: Path,
    community: Community,
    actor: User | None,
    title: str = "",
    second_copy: bool = False,
) -> Space:
    """Import an export folder (see space_import_polis); its files are read as streams.

    Raises PolisFormatError for a missing folder or file as for a malformed one.
    """
    with open_export_folder(folder) as files:
        return space_import_polis(
            community=community, actor=actor, title=title, second_copy=second_copy, **files
        )


def space_export_polis_folder(
    *, space: Space, out: Path, mode: ExportMode = ExportMode.EXACT
) -> list[str]:
    """Write the space's export files into `out` (created if needed); their names."""
    out.mkdir(parents=True, exist_ok=True)
    files = polis_export_files(space=space, mode=mode)
    for name, content in files.items():
        (out / name).write_bytes(content)
    return sorted(files)
