"""Pol.is exports in and out of a space: import (upload page and its background job in
`jobs`, API-free service, command) and export (zip download, API, command; safe or
exact texts).

Parsing is the engine's (aggregation.engine.polis_csv), shared with the
analyze_polis command; this package writes what it returns and reads a space
back into the same CSV layout.
"""

from aggregation.engine.polis_csv import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    SUMMARY,
    VOTES,
    PolisFiles,
    PolisFormatError,
    open_export_folder,
)
from elicitation.polis.exporter import (
    polis_export_files,
    polis_export_folder_name,
    polis_export_zip,
)
from elicitation.polis.importer import space_import_polis

__all__ = [
    "COMMENTS",
    "PARTICIPANTS_VOTES",
    "SUMMARY",
    "VOTES",
    "PolisFiles",
    "PolisFormatError",
    "open_export_folder",
    "polis_export_files",
    "polis_export_folder_name",
    "polis_export_zip",
    "space_import_polis",
]
