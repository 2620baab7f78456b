"""Shared fixtures for engine tests: the real Pol.is conversations in ../shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregation.engine.polis import PolisResult
from aggregation.engine.polis_io import PolisExport, analyze_export, read_polis_export
from tests.requirements import POLIS_DATA, require_shared_data

BIODIVERSITY = POLIS_DATA / "scoop-hivemind.biodiversity"
# Its comments.csv predates the is-meta column; Pol.is's own output lists them.
BIODIVERSITY_META = (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16)


# Named rather than listed from the folder, so that without the shared data each
# test still exists and skips (or fails under POLYPHONY_REQUIRE_ALL=1) by name.
CONVERSATIONS = (
    "15-per-hour-seattle",
    "bg2050-volunteers",
    "brexit-consensus",
    "scoop-hivemind.biodiversity",
    "vtaiwan.uberx",
)


def conversations() -> list[Path]:
    return [POLIS_DATA / name for name in CONVERSATIONS]


def require_data(path: Path) -> None:
    require_shared_data(path)


@pytest.fixture(scope="session")
def biodiversity_export() -> PolisExport:
    require_data(BIODIVERSITY)
    return read_polis_export(BIODIVERSITY, meta_ids=BIODIVERSITY_META)


@pytest.fixture(scope="session")
def biodiversity_result(biodiversity_export: PolisExport) -> PolisResult:
    return analyze_export(biodiversity_export)


@pytest.fixture(scope="session")
def polis_math() -> dict[str, Any]:
    require_data(BIODIVERSITY)
    with (BIODIVERSITY / "polis-math-output.json").open() as f:
        data: dict[str, Any] = json.load(f)
    return data
