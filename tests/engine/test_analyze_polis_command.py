"""The analyze_polis management command on a real export folder, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from .conftest import BIODIVERSITY, BIODIVERSITY_META, require_data


def test_it_writes_the_documented_keys_for_a_real_conversation(
    tmp_path: Path, polis_math: dict[str, Any]
) -> None:
    require_data(BIODIVERSITY)
    out = tmp_path / "result.json"
    meta = ",".join(str(t) for t in BIODIVERSITY_META)
    call_command("analyze_polis", str(BIODIVERSITY), "--out", str(out), "--meta-ids", meta)
    data = json.loads(out.read_text())
    for key in (
        "participants",
        "groups",
        "consensus",
        "group_aware_consensus",
        "pca",
        "priorities",
        "timings_s",
    ):
        assert key in data
    assert len(data["participants"]) == polis_math["n"]
    grouped = [g for g in data["participants"].values() if g is not None]
    assert len(grouped) == len(polis_math["in-conv"])
    assert {g["id"] for g in data["groups"]} == set(grouped)
    for group in data["groups"]:
        assert group["size"] == grouped.count(group["id"])
        assert group["representative"]
        assert {r["direction"] for r in group["representative"]} <= {"agree", "disagree"}
    assert data["consensus"]["agree"] == [c["tid"] for c in polis_math["consensus"]["agree"]]
    assert data["consensus"]["disagree"] == [c["tid"] for c in polis_math["consensus"]["disagree"]]
    assert set(data["group_aware_consensus"]) == set(data["priorities"])
    assert data["pca"]["statements"] == polis_math["tids"]
    assert {"components", "center", "statement_projections"} <= set(data["pca"])
    assert data["timings_s"]["read"] > 0
    # Bridging: one entry per statement, Community Notes statuses, never NaN.
    assert set(data["bridging"]) == set(data["group_aware_consensus"])
    statuses = {b["status"] for b in data["bridging"].values()}
    assert statuses <= {"bridging", "not_bridging", "too_few_ratings"}
    assert "bridging" in statuses
    assert all(abs(b["factor"]) < 10 and abs(b["score"]) < 10 for b in data["bridging"].values())
    assert data["timings_s"]["bridging"] > 0


def test_it_fails_with_a_clear_message_on_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a folder"):
        call_command("analyze_polis", str(tmp_path / "nope"), "--out", str(tmp_path / "x.json"))


def _tiny_export(folder: Path, *, with_history: bool) -> None:
    """Twenty participants in two camps over eight accepted statements and one rejected."""
    folder.mkdir()
    comments = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    comments += [f"{1000 + t},x,{t},0,0,0,{-1 if t == 8 else 1},statement {t}" for t in range(9)]
    (folder / "comments.csv").write_text("\n".join(comments) + "\n")
    rows = []
    clock = 10_000
    for pid in range(20):
        camp = 1 if pid % 2 else -1
        for tid in range(8):
            clock += 1500
            rows.append((clock, tid, pid, camp if tid < 4 else -camp if tid % 3 else 0))
    if with_history:
        lines = ["timestamp,datetime,comment-id,voter-id,vote"]
        lines += [f"{t},x,{tid},{pid},{v}" for t, tid, pid, v in rows]
        (folder / "votes.csv").write_text("\n".join(lines) + "\n")
    else:
        header = "participant,group-id," + ",".join(str(t) for t in range(8))
        wide = [header]
        for pid in range(20):
            votes = {tid: v for _, tid, p, v in rows if p == pid}
            wide.append(f"{pid},," + ",".join(str(votes[t]) for t in range(8)))
        (folder / "participants-votes.csv").write_text("\n".join(wide) + "\n")


def test_it_replays_the_base_clusters_when_asked(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    _tiny_export(folder, with_history=True)
    out = tmp_path / "result.json"
    call_command("analyze_polis", str(folder), "--out", str(out), "--replay-base-clusters")
    data = json.loads(out.read_text())
    assert sorted(g["size"] for g in data["groups"]) == [10, 10]
    ids = [b["id"] for b in data["base_clusters"]]
    assert len(ids) == len(set(ids))
    assert sum(len(b["members"]) for b in data["base_clusters"]) == 20


def test_the_replay_needs_the_vote_history(tmp_path: Path) -> None:
    folder = tmp_path / "wide"
    _tiny_export(folder, with_history=False)
    with pytest.raises(CommandError, match=r"needs votes\.csv"):
        call_command(
            "analyze_polis",
            str(folder),
            "--out",
            str(tmp_path / "x.json"),
            "--replay-base-clusters",
        )


def test_auto_rules_name_the_era_and_why_in_the_output(tmp_path: Path) -> None:
    folder = BIODIVERSITY.parent / "brexit-consensus"
    require_data(folder)
    out = tmp_path / "brexit.json"
    call_command("analyze_polis", str(folder), "--out", str(out), "--polis-rules", "auto")
    data = json.loads(out.read_text())
    assert data["polis_rules"]["era"] == "2017-04-14"
    assert data["polis_rules"]["source"].startswith(
        "https://github.com/compdemocracy/polis/commit/"
    )
    assert "2017-08-05" in data["polis_rules"]["why"]
    assert len(data["groups"]) == 2


def test_an_unknown_era_fails_with_the_list_of_eras(tmp_path: Path) -> None:
    require_data(BIODIVERSITY)
    with pytest.raises(CommandError, match="2022-06-29"):
        call_command(
            "analyze_polis",
            str(BIODIVERSITY),
            "--out",
            str(tmp_path / "x.json"),
            "--polis-rules",
            "2015",
        )
    assert not (tmp_path / "x.json").exists()


def test_auto_dates_an_export_without_vote_times_by_its_comments(tmp_path: Path) -> None:
    source = BIODIVERSITY.parent / "brexit-consensus"
    require_data(source)
    folder = tmp_path / "brexit-without-votes"
    folder.mkdir()
    for name in ("comments.csv", "participants-votes.csv"):
        (folder / name).write_bytes((source / name).read_bytes())
    out = tmp_path / "out.json"
    call_command("analyze_polis", str(folder), "--out", str(out), "--polis-rules", "auto")
    rules = json.loads(out.read_text())["polis_rules"]
    assert rules["era"] == "2017-04-14"
    assert "last comment" in rules["why"]
    assert "no vote times" in rules["why"]
