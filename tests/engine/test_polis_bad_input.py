"""Bad or degenerate input: a defined result with a reason, or a clear EngineInputError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aggregation.engine.polis import PolisResult, analyze_votes, result_to_dict
from aggregation.engine.polis_io import PolisFormatError, read_polis_export
from aggregation.engine.votes import EngineInputError


def as_json(result: PolisResult) -> str:
    return json.dumps(result_to_dict(result), allow_nan=False)


def test_an_empty_conversation_has_no_groups_and_says_why() -> None:
    result = analyze_votes(participant=[], statement=[], value=[])
    assert result.groups == []
    assert result.reason == "no votes"
    as_json(result)


def test_one_participant_is_not_grouped() -> None:
    result = analyze_votes(participant=[0, 0, 0], statement=[0, 1, 2], value=[1, -1, 0])
    assert result.groups == []
    assert result.reason is not None
    assert result.in_conv.tolist() == [True]
    as_json(result)


def test_all_passes_give_no_groups_and_finite_numbers() -> None:
    p = np.repeat(np.arange(20), 5)
    s = np.tile(np.arange(5), 20)
    result = analyze_votes(participant=p, statement=s, value=np.zeros(100, dtype=int))
    assert result.groups == []
    assert "one point" in (result.reason or "")
    assert np.all(result.pca_components == 0)
    as_json(result)


def test_one_statement_still_splits_agree_from_disagree() -> None:
    p = np.arange(30)
    result = analyze_votes(
        participant=p, statement=np.zeros(30, dtype=int), value=np.where(p < 15, 1, -1)
    )
    assert sorted(g.size for g in result.groups) == [15, 15]
    assert np.all(result.pca_components[1] == 0)
    as_json(result)


def test_statements_nobody_voted_on_are_outside_the_matrix() -> None:
    result = analyze_votes(
        participant=[0, 1, 2], statement=[0, 0, 0], value=[1, 1, -1], n_statements=4
    )
    assert result.voted_statements.tolist() == [0]
    assert result.statement_extremity[1:].tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.isfinite(result.priorities))
    # With no votes a statement gets the fresh-statement priority ((1/2)(1/2)(1+8))^2.
    assert result.priorities[3] == pytest.approx(5.0625)
    as_json(result)


def test_unknown_vote_values_are_rejected() -> None:
    with pytest.raises(EngineInputError, match="vote value 2"):
        analyze_votes(participant=[0, 1], statement=[0, 0], value=[1, 2])


def test_mismatched_arrays_and_bad_sizes_are_rejected() -> None:
    with pytest.raises(EngineInputError, match="one length"):
        analyze_votes(participant=[0, 1], statement=[0], value=[1, 1])
    with pytest.raises(EngineInputError, match="n_statements"):
        analyze_votes(participant=[0], statement=[3], value=[1], n_statements=2)
    with pytest.raises(EngineInputError, match="one entry per statement"):
        analyze_votes(participant=[0], statement=[0], value=[1], moderated_out=[True, False])
    with pytest.raises(EngineInputError, match="finite"):
        analyze_votes(participant=[0], statement=[0], value=[1], time=[float("nan")])
    with pytest.raises(EngineInputError, match="whole numbers"):
        analyze_votes(participant=[0.5], statement=[0], value=[1])


def test_duplicated_rows_change_nothing() -> None:
    rng = np.random.default_rng(3)
    p = rng.integers(0, 40, 400)
    s = rng.integers(0, 10, 400)
    v = rng.integers(-1, 2, 400)
    t = np.arange(400.0)
    once = result_to_dict(analyze_votes(participant=p, statement=s, value=v, time=t))
    twice = result_to_dict(
        analyze_votes(
            participant=np.repeat(p, 2),
            statement=np.repeat(s, 2),
            value=np.repeat(v, 2),
            time=np.repeat(t, 2),
        )
    )
    once.pop("timings_s")
    twice.pop("timings_s")
    assert once == twice


COMMENTS_HEADER = "timestamp,comment-id,author-id,moderated,comment-body"


def _export(
    tmp_path: Path, votes: str, comments: str = f"{COMMENTS_HEADER}\n1,0,,1,A\n1,1,,1,B\n"
) -> Path:
    (tmp_path / "comments.csv").write_text(comments)
    (tmp_path / "votes.csv").write_text(votes)
    return tmp_path


def test_malformed_vote_value_names_file_line_and_column(tmp_path: Path) -> None:
    folder = _export(tmp_path, "timestamp,comment-id,voter-id,vote\n1,0,0,1\n2,1,0,agree\n")
    with pytest.raises(
        PolisFormatError,
        match=r"votes\.csv, line 3, column 4 \(vote\): 'agree' is not a whole number",
    ):
        read_polis_export(folder)


def test_out_of_range_vote_in_csv_is_rejected(tmp_path: Path) -> None:
    folder = _export(tmp_path, "timestamp,comment-id,voter-id,vote\n1,0,0,5\n")
    with pytest.raises(PolisFormatError, match=r"line 2, column 4 \(vote\): vote '5'"):
        read_polis_export(folder)


def test_missing_column_and_extra_fields_are_reported(tmp_path: Path) -> None:
    folder = _export(tmp_path, "timestamp,comment-id,vote\n1,0,1\n")
    with pytest.raises(PolisFormatError, match="line 1, column voter-id: missing column"):
        read_polis_export(folder)
    folder = _export(tmp_path, "timestamp,comment-id,voter-id,vote\n1,0,0,1,9\n")
    with pytest.raises(PolisFormatError, match="line 2, column 5: 5 fields where the header has 4"):
        read_polis_export(folder)


def test_bad_comments_file_and_missing_votes_are_reported(tmp_path: Path) -> None:
    folder = _export(
        tmp_path, "timestamp,comment-id,voter-id,vote\n", f"{COMMENTS_HEADER}\n1,x,,1,A\n"
    )
    with pytest.raises(
        PolisFormatError, match=r"comments\.csv, line 2, column 2 \(comment-id\): 'x' is not"
    ):
        read_polis_export(folder)
    (tmp_path / "votes.csv").unlink()
    (tmp_path / "comments.csv").write_text(f"{COMMENTS_HEADER}\n1,0,,1,A\n")
    with pytest.raises(PolisFormatError, match=r"neither votes\.csv nor participants-votes\.csv"):
        read_polis_export(folder)


def test_participants_votes_csv_is_read_when_there_is_no_history(tmp_path: Path) -> None:
    (tmp_path / "comments.csv").write_text(
        f"{COMMENTS_HEADER},is-meta\n1,0,,1,A,false\n1,1,,-1,B,false\n1,2,,1,C,true\n"
    )
    (tmp_path / "participants-votes.csv").write_text(
        "participant,group-id,n-comments,0,1,2\n5,,0,1,-1,\n7,,0,,,\n"
    )
    export = read_polis_export(tmp_path)
    assert export.participant_ids == [5, 7]
    assert export.time is None
    assert export.moderated_out.tolist() == [False, True, False]
    assert export.meta.tolist() == [False, False, True]
    assert sorted(zip(export.statement.tolist(), export.value.tolist(), strict=True)) == [
        (0, 1),
        (1, -1),
    ]
