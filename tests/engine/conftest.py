"""Shared fixtures for engine tests: the real Pol.is conversations in ../shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregation.engine.polis import PolisResult
from aggregation.engine.polis_io import PolisExport, analyze_export, read_polis_export

POLIS_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "polis"
BIODIVERSITY = POLIS_DATA / "scoop-hivemind.biodiversity"
# Its comments.csv predates the is-meta column; Pol.is's own output lists them.
BIODIVERSITY_META = (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16)


def conversations() -> list[Path]:
    if not POLIS_DATA.is_dir():
        return []
    return sorted(p for p in POLIS_DATA.iterdir() if (p / "comments.csv").exists())


def require_data(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"Pol.is data not present at {path} (the shared data folder is absent)")


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
