"""Reading a Pol.is export folder into engine input, without a database.

Files (compdemocracy open-data layout): `comments.csv` (comment-id, moderated:
1 accepted, 0 unmoderated, -1 rejected; newer exports add is-meta), and either
`votes.csv` (the full history: timestamp, comment-id, voter-id, vote) or, failing
that, `participants-votes.csv` (latest votes, one column per comment id).
Vote sign is the export's: 1 agree, -1 disagree, 0 pass.

Malformed input raises PolisExportError naming the file, line and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .polis import PolisParams, PolisResult, analyze_votes
from .polis_eras import CURRENT, PolisRules, RulesChoice, choose_rules
from .replay import estimate_moderation_times
from .votes import EngineInputError

_TRUE = {"true", "t", "1", "yes"}
_FALSE = {"false", "f", "0", "no", ""}


class PolisExportError(EngineInputError):
    """A Pol.is export file that cannot be read; the message says where."""


@dataclass(frozen=True)
class PolisExport:
    """Engine input read from an export, with the Pol.is ids behind each index."""

    participant_ids: list[int]
    statement_ids: list[int]
    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    value: NDArray[np.int64]
    time: NDArray[np.float64] | None
    moderated_out: NDArray[np.bool_]
    meta: NDArray[np.bool_]
    # When each statement was written (epoch ms; NaN when not known) and whether
    # it was accepted: what estimating moderation times needs.
    created: NDArray[np.float64] | None = None
    accepted: NDArray[np.bool_] | None = None


def _rows(path: Path, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file, after checking its header."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise PolisExportError(f"{path}: cannot open ({exc.strerror})") from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PolisExportError(f"{path}, line 1: unreadable header ({exc})") from exc
        if not header:
            raise PolisExportError(f"{path}: empty file (no header line)")
        missing = [c for c in required if c not in header]
        if missing:
            raise PolisExportError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        try:
            for row in reader:
                if None in row:
                    raise PolisExportError(
                        f"{path}, line {reader.line_num}: more fields than the header has"
                    )
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PolisExportError(f"{path}, line {reader.line_num}: {exc}") from exc


def _int(path: Path, line: int, column: str, text: str | None) -> int:
    if text is None:
        raise PolisExportError(f"{path}, line {line}, column {column}: missing value")
    try:
        return int(text.strip())
    except ValueError:
        raise PolisExportError(
            f"{path}, line {line}, column {column}: {text!r} is not a whole number"
        ) from None


def _vote(path: Path, line: int, column: str, text: str | None) -> int:
    value = _int(path, line, column, text)
    if value not in (-1, 0, 1):
        raise PolisExportError(
            f"{path}, line {line}, column {column}: vote {value} is not one of -1, 0, 1"
        )
    return value


def _bool(path: Path, line: int, column: str, text: str | None) -> bool:
    t = (text or "").strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise PolisExportError(f"{path}, line {line}, column {column}: {text!r} is not true/false")


def _read_comments(path: Path) -> tuple[dict[int, tuple[int, bool]], dict[int, float]]:
    comments: dict[int, tuple[int, bool]] = {}
    created: dict[int, float] = {}
    for line, row in _rows(path, ("comment-id", "moderated")):
        cid = _int(path, line, "comment-id", row["comment-id"])
        moderated = _int(path, line, "moderated", row["moderated"])
        if moderated not in (-1, 0, 1):
            raise PolisExportError(
                f"{path}, line {line}, column moderated: {moderated} is not one of -1, 0, 1"
            )
        is_meta = _bool(path, line, "is-meta", row["is-meta"]) if "is-meta" in row else False
        comments[cid] = (moderated, is_meta)
        if (row.get("timestamp") or "").strip():
            created[cid] = float(_int(path, line, "timestamp", row["timestamp"]))
    return comments, created


def _read_votes(path: Path) -> tuple[list[int], list[int], list[int], list[float]]:
    pids: list[int] = []
    tids: list[int] = []
    values: list[int] = []
    times: list[float] = []
    for line, row in _rows(path, ("timestamp", "comment-id", "voter-id", "vote")):
        times.append(float(_int(path, line, "timestamp", row["timestamp"])))
        tids.append(_int(path, line, "comment-id", row["comment-id"]))
        pids.append(_int(path, line, "voter-id", row["voter-id"]))
        values.append(_vote(path, line, "vote", row["vote"]))
    return pids, tids, values, times


def _read_participants_votes(path: Path) -> tuple[list[int], list[int], list[int], list[int]]:
    """Latest votes from the wide file; also every participant listed (voter or not)."""
    pids: list[int] = []
    tids: list[int] = []
    values: list[int] = []
    everyone: list[int] = []
    for line, row in _rows(path, ("participant",)):
        pid = _int(path, line, "participant", row["participant"])
        everyone.append(pid)
        for column, cell in row.items():
            if column is None or not column.isdigit() or cell is None or cell.strip() == "":
                continue
            pids.append(pid)
            tids.append(int(column))
            values.append(_vote(path, line, column, cell))
    return pids, tids, values, everyone


def read_polis_groups(folder: Path) -> dict[int, int | None]:
    """Pol.is's own group per participant (`group-id` of participants-votes.csv)."""
    path = Path(folder) / "participants-votes.csv"
    out: dict[int, int | None] = {}
    for line, row in _rows(path, ("participant", "group-id")):
        pid = _int(path, line, "participant", row["participant"])
        cell = (row["group-id"] or "").strip()
        out[pid] = _int(path, line, "group-id", cell) if cell else None
    return out


def read_polis_export(folder: Path, *, meta_ids: Iterable[int] = ()) -> PolisExport:
    """Read an export folder. `meta_ids` marks extra comments as meta (older exports
    have no is-meta column)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PolisExportError(f"{folder}: not a folder")
    comments, created = _read_comments(folder / "comments.csv")
    votes_path = folder / "votes.csv"
    listed: list[int] = []
    time: list[float] | None
    if votes_path.exists():
        pids, tids, values, time = _read_votes(votes_path)
    elif (folder / "participants-votes.csv").exists():
        pids, tids, values, listed = _read_participants_votes(folder / "participants-votes.csv")
        time = None
    else:
        raise PolisExportError(f"{folder}: neither votes.csv nor participants-votes.csv found")

    participant_ids = sorted(set(pids) | set(listed))
    statement_ids = sorted(set(comments) | set(tids))
    p_index = {pid: i for i, pid in enumerate(participant_ids)}
    s_index = {tid: i for i, tid in enumerate(statement_ids)}
    rejected = np.array([comments.get(t, (0, False))[0] == -1 for t in statement_ids], dtype=bool)
    extra_meta = set(meta_ids)
    meta = np.array(
        [comments.get(t, (0, False))[1] or t in extra_meta for t in statement_ids], dtype=bool
    )
    return PolisExport(
        participant_ids=participant_ids,
        statement_ids=statement_ids,
        participant=np.array([p_index[p] for p in pids], dtype=np.int64),
        statement=np.array([s_index[t] for t in tids], dtype=np.int64),
        value=np.array(values, dtype=np.int64),
        time=None if time is None else np.array(time, dtype=np.float64),
        moderated_out=rejected,
        meta=meta,
        created=np.array([created.get(t, np.nan) for t in statement_ids], dtype=np.float64),
        accepted=np.array([comments.get(t, (0, False))[0] == 1 for t in statement_ids], dtype=bool),
    )


def export_rules(export: PolisExport, spec: str) -> RulesChoice:
    """Which era's rules to analyse an export with (`--polis-rules`; see polis_eras).

    "auto" dates the conversation by its votes (votes.csv); an export with only
    participants-votes.csv is dated by its comments' creation times instead,
    which the explanation says: votes go on after the last comment, so the era
    found may be older than the one Pol.is last ran.
    """
    if export.time is not None and export.time.size:
        return choose_rules(
            spec, first_vote_ms=float(export.time.min()), last_vote_ms=float(export.time.max())
        )
    created = export.created[np.isfinite(export.created)] if export.created is not None else None
    if spec != "auto" or created is None or created.size == 0:
        return choose_rules(spec)
    choice = choose_rules(
        spec, first_vote_ms=float(created.min()), last_vote_ms=float(created.max())
    )
    return RulesChoice(
        choice.rules,
        choice.why.replace("the last vote", "the last comment (no vote times in this export)", 1),
    )


def analyze_export(
    export: PolisExport,
    *,
    replay_base_clusters: bool = False,
    rules: PolisRules = CURRENT,
    fidelity: bool = False,
) -> PolisResult:
    """Pol.is's conversation math on an export, optionally replaying its base clusters.

    The replay (replay.py) needs the timestamped history of votes.csv; its
    moderation times are estimated from the votes where comments.csv gives
    creation times, else every moderated-out statement counts as out from the
    start. `rules` is the era of Pol.is's rules to run (export_rules chooses);
    `fidelity` also applies what only matters for matching Pol.is: the era's
    size limits and leaving out a group count its smoother cannot have reached
    by the last vote (group_count.py).
    """
    moderated_at = None
    if replay_base_clusters:
        if export.time is None:
            raise EngineInputError(
                "the base-cluster replay needs votes.csv (the timestamped vote history)"
            )
        if export.created is not None and export.accepted is not None:
            moderated_at = estimate_moderation_times(
                time=export.time,
                statement=export.statement,
                created=export.created,
                accepted=export.accepted,
                moderated_out=export.moderated_out,
                meta=export.meta,
            )
    return analyze_votes(
        participant=export.participant,
        statement=export.statement,
        value=export.value,
        n_participants=len(export.participant_ids),
        n_statements=len(export.statement_ids),
        time=export.time,
        moderated_out=export.moderated_out,
        meta=export.meta,
        moderated_at=moderated_at,
        params=PolisParams(
            rules=rules,
            replay_base_clusters=replay_base_clusters,
            k_from_history=fidelity,
            size_limits=fidelity,
        ),
    )
