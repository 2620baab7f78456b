"""Replaying Pol.is's warm-started base clusters over the vote history (replay.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from aggregation.engine.polis import PolisResult
from aggregation.engine.polis_io import PolisExport, analyze_export
from aggregation.engine.replay import (
    estimate_moderation_times,
    replay_base_clusters,
    update_ends,
)

TOL = 1e-9


def test_updates_split_where_votes_are_further_apart_than_the_gap() -> None:
    t = np.array([0.0, 0.0, 500.0, 2000.0, 2100.0, 9000.0])
    assert update_ends(t, 0.0).tolist() == [2, 3, 4, 5, 6]
    assert update_ends(t, 1000.0).tolist() == [3, 5, 6]
    assert update_ends(np.zeros(0), 0.0).tolist() == []


def test_a_rejected_statement_is_rejected_at_the_next_moderation_session() -> None:
    # Statement 0 is the seed; 1 and 3 are accepted (shown to others from their
    # second vote on: sessions by t = 30 and t = 40); 2, written at t = 35, is
    # rejected at the first session after that, t = 40; 4 is meta.
    time = np.array([10.0, 12.0, 20.0, 30.0, 31.0, 36.0, 40.0, 50.0])
    statement = np.array([0, 0, 1, 1, 3, 2, 3, 4])
    created = np.array([0.0, 19.0, 35.0, 30.5, 1.0])
    accepted = np.array([True, True, False, True, True])
    rejected = np.array([False, False, True, False, False])
    meta = np.array([False, False, False, False, True])
    at = estimate_moderation_times(
        time=time,
        statement=statement,
        created=created,
        accepted=accepted,
        moderated_out=rejected,
        meta=meta,
    )
    assert at.tolist() == [np.inf, np.inf, 40.0, np.inf, -np.inf]


def test_with_no_session_after_it_a_rejected_statement_is_out_at_the_end() -> None:
    at = estimate_moderation_times(
        time=np.array([5.0, 6.0, 9.0]),
        statement=np.array([0, 1, 0]),
        created=np.array([0.0, 4.0]),
        accepted=np.array([True, False]),
        moderated_out=np.array([False, True]),
        meta=np.array([False, False]),
    )
    assert at.tolist() == [np.inf, 9.0]


def test_clusters_founded_as_participants_join_get_the_next_ids() -> None:
    # Each new participant lands far from the others, so each founds a cluster
    # of their own with id = largest id + 1, as Pol.is's clean start does.
    participant = np.repeat(np.arange(4), 3)
    statement = np.tile(np.arange(3), 4)
    value = np.array([1, 1, 1, -1, -1, -1, 1, -1, 1, -1, 1, -1])
    time = np.arange(12, dtype=np.float64)
    out = replay_base_clusters(
        participant=participant,
        statement=statement,
        value=value,
        time=time,
        moderated_at=np.full(3, np.inf),
        n_participants=4,
        n_statements=3,
        k=100,
        max_iters=100,
    )
    assert out.clustering.ids.tolist() == [0, 1, 2, 3]
    assert sorted(out.clustering.names.tolist()) == [0, 1, 2, 3]
    assert out.in_conv.all()
    assert out.n_updates == 12


# About a minute on the 2-core development machine: the tests using it are marked slow.
@pytest.fixture(scope="module")
def replayed(biodiversity_export: PolisExport) -> PolisResult:
    assert biodiversity_export.created is not None
    assert biodiversity_export.accepted is not None
    return analyze_export(biodiversity_export, replay_base_clusters=True)


def _matched(
    export: PolisExport, result: PolisResult, math: dict[str, Any]
) -> list[tuple[int, int, tuple[float, float]]]:
    """(our id, Pol.is's id, our centre) for each base cluster with Pol.is's exact member set."""
    base = math["base-clusters"]
    theirs = {frozenset(m): i for m, i in zip(base["members"], base["id"], strict=True)}
    out = []
    for b in result.base_clusters:
        key = frozenset(export.participant_ids[m] for m in b.members)
        if key in theirs:
            out.append((b.id, theirs[key], b.center))
    return out


@pytest.mark.slow
def test_the_replay_brings_back_most_of_polis_base_clusters(
    biodiversity_export: PolisExport, replayed: PolisResult, polis_math: dict[str, Any]
) -> None:
    matched = _matched(biodiversity_export, replayed, polis_math)
    print(f"biodiversity: {len(matched)} of 100 base clusters identical to Pol.is's (cold: 8)")
    # Measured 77; a cold k-means on the final projections gets 8.
    assert len(matched) >= 75
    # Ids come from the same chain of drops and new clusters: most are shared.
    ours = {b.id for b in replayed.base_clusters}
    assert len(ours & set(polis_math["base-clusters"]["id"])) >= 85


@pytest.mark.slow
def test_replayed_clusters_sit_at_polis_centres(
    biodiversity_export: PolisExport, replayed: PolisResult, polis_math: dict[str, Any]
) -> None:
    base = polis_math["base-clusters"]
    at = {i: (x, y) for i, x, y in zip(base["id"], base["x"], base["y"], strict=True)}
    matched = _matched(biodiversity_export, replayed, polis_math)
    ours = np.array([centre for _, _, centre in matched])
    theirs = np.array([at[their_id] for _, their_id, _ in matched])
    # Each principal component's sign is arbitrary; take Pol.is's.
    sign = np.sign((ours * theirs).sum(axis=0))
    np.testing.assert_allclose(ours * sign, theirs, rtol=0, atol=TOL)


@pytest.mark.slow
def test_the_replay_keeps_polis_in_conv_and_its_two_groups(
    biodiversity_export: PolisExport, replayed: PolisResult, polis_math: dict[str, Any]
) -> None:
    ours = {biodiversity_export.participant_ids[i] for i in np.flatnonzero(replayed.in_conv)}
    assert ours == set(polis_math["in-conv"])
    assert sorted(g.size for g in replayed.groups) == [67, 376]
