"""A Pol.is export folder as engine input, without a database.

The files are read by the project's one Pol.is parser (polis_csv: strict,
file/line/column errors); this module keeps what the maths needs: dense
indices, vote values (the export's sign: 1 agree, -1 disagree, 0 pass),
times, and the moderated-out and meta flags as NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .polis import PolisParams, PolisResult, analyze_votes
from .polis_csv import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    PolisFormatError,
    parse_comments,
    parse_participants_votes,
    read_polis_folder,
)
from .polis_eras import CURRENT, PolisRules, RulesChoice, choose_rules
from .replay import estimate_moderation_times
from .votes import EngineInputError


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
    # When each statement was written (epoch ms) and whether it was accepted:
    # what estimating moderation times needs.
    created: NDArray[np.float64] | None = None
    accepted: NDArray[np.bool_] | None = None


def read_polis_groups(folder: Path) -> dict[int, int | None]:
    """Pol.is's own group per participant (`group-id` of participants-votes.csv)."""
    folder = Path(folder)
    try:
        comments = parse_comments((folder / COMMENTS).read_bytes())
        data = (folder / PARTICIPANTS_VOTES).read_bytes()
    except OSError as exc:
        raise PolisFormatError(str(folder), f"cannot read {exc.filename}: {exc.strerror}") from None
    groups = parse_participants_votes(data, np.sort(comments.number)).groups
    if groups is None:
        raise PolisFormatError(PARTICIPANTS_VOTES, "missing column(s) 'group-id'", line=1)
    return groups


def read_polis_export(folder: Path, *, meta_ids: Iterable[int] = ()) -> PolisExport:
    """Read an export folder. `meta_ids` marks extra comments as meta (older exports
    have no is-meta column).

    With votes.csv the participants are its voters; without it, everyone
    participants-votes.csv lists. Raises PolisFormatError (file, line, column).
    """
    conversation = read_polis_folder(folder)
    comments, votes = conversation.comments, conversation.votes
    order = np.argsort(comments.number, kind="stable")
    statement_ids = comments.number[order]
    people = [votes.participant]
    if not conversation.has_history:
        people.append(conversation.listed)
    participant_ids = np.unique(np.concatenate(people))
    moderated = comments.moderated[order]
    meta = comments.is_meta[order] | np.isin(statement_ids, np.fromiter(meta_ids, dtype=np.int64))
    return PolisExport(
        participant_ids=participant_ids.tolist(),
        statement_ids=statement_ids.tolist(),
        participant=np.searchsorted(participant_ids, votes.participant).astype(np.int64),
        statement=np.searchsorted(statement_ids, votes.comment).astype(np.int64),
        value=votes.value.astype(np.int64),
        time=None if votes.timestamp_ms is None else votes.timestamp_ms.astype(np.float64),
        moderated_out=moderated == -1,
        meta=meta,
        created=comments.timestamp_ms[order].astype(np.float64),
        accepted=moderated == 1,
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
        choice.why.replace(
            "at the last vote,", "at the last comment (this export has no vote times),", 1
        ).replace(
            "when Pol.is last recomputed the groups",
            "the latest date the export shows; votes may have come later, under newer rules",
            1,
        ),
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
