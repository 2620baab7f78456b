"""Pol.is's update-to-update state: the group-k smoother and warm-started k-means.

Facts from compdemocracy/polis math/src/polismath/math/ (conversation.clj,
clusters.clj): the number of groups only changes after the same best k has won
`group-k-buffer` (4) consecutive updates, the very first update's best k is
used straight away; k-means warm-starts from the previous update's clusters,
recentred on the members' new positions, dropping clusters with no member left,
merging clusters with identical centres and splitting off the point farthest
from every centre (new id = largest id + 1) while fewer clusters exist than k.
"""

from __future__ import annotations

import numpy as np

from aggregation.engine.clusters import (
    Clustering,
    KSmoother,
    clean_start,
    group_clusterings,
    kmeans,
)


def _run(bests: list[int], buffer: int = 4) -> list[int | None]:
    s = KSmoother()
    out: list[int | None] = []
    for k in bests:
        s = s.update(k, buffer)
        out.append(s.smoothed_k)
    return out


def test_first_update_uses_its_best_k_at_once() -> None:
    assert _run([3]) == [3]


def test_k_changes_only_after_four_consecutive_wins() -> None:
    assert _run([2, 3, 3, 3, 3, 3]) == [2, 2, 2, 2, 3, 3]


def test_an_interrupted_run_starts_counting_again() -> None:
    assert _run([2, 3, 3, 3, 4, 3, 3, 3]) == [2, 2, 2, 2, 2, 2, 2, 2]
    assert _run([2, 3, 3, 3, 4, 3, 3, 3, 3]) == [2, 2, 2, 2, 2, 2, 2, 2, 3]


def test_the_smoother_counts_the_current_k_too() -> None:
    s = KSmoother().update(2, 4)
    assert (s.last_k, s.last_k_count, s.smoothed_k) == (2, 1, 2)
    s = s.update(2, 4)
    assert (s.last_k, s.last_k_count, s.smoothed_k) == (2, 2, 2)


def _clustering(points: list[tuple[float, float]], labels: list[int], ids: list[int]) -> Clustering:
    pts = np.array(points, dtype=np.float64)
    lab = np.array(labels, dtype=np.int64)
    centers = np.array([pts[lab == i].mean(axis=0) for i in range(len(ids))])
    return Clustering(np.array(ids, dtype=np.int64), centers, np.arange(len(points)), lab)


def test_clean_start_recentres_on_the_new_positions() -> None:
    last = _clustering([(0, 0), (0, 1), (5, 5), (5, 6)], [0, 0, 1, 1], [3, 7])
    moved = np.array([[1.0, 0.0], [1.0, 2.0], [6.0, 5.0], [6.0, 7.0]])
    ids, centres = clean_start(moved, np.arange(4), last, 2)
    assert ids.tolist() == [3, 7]
    np.testing.assert_allclose(centres, [[1.0, 1.0], [6.0, 6.0]])


def test_clean_start_drops_clusters_whose_members_left() -> None:
    last = _clustering([(0, 0), (0, 1), (5, 5)], [0, 0, 1], [0, 1])
    pts = np.array([[0.0, 0.0], [0.0, 1.0]])
    ids, centres = clean_start(pts, np.array([0, 1]), last, 1)
    assert ids.tolist() == [0]
    np.testing.assert_allclose(centres, [[0.0, 0.5]])


def test_clean_start_splits_off_the_farthest_point_with_a_fresh_id() -> None:
    last = _clustering([(0, 0), (0, 1)], [0, 0], [4])
    pts = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
    ids, centres = clean_start(pts, np.array([0, 1, 2]), last, 2)
    assert ids.tolist() == [4, 5]
    np.testing.assert_allclose(centres, [[0.0, 0.5], [9.0, 9.0]])


def test_clean_start_merges_identical_centres_keeping_the_larger_id() -> None:
    pts = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    last = Clustering(
        np.array([0, 1]), np.array([[0.0, 0.0], [2.0, 2.0]]), np.arange(3), np.array([0, 1, 1])
    )
    ids, centres = clean_start(pts, np.arange(3), last, 2)
    # Only one distinct point, so one cluster is possible; the bigger one's id survives.
    assert ids.tolist() == [1]
    np.testing.assert_allclose(centres, [[1.0, 1.0]])


def test_warm_started_kmeans_keeps_a_converged_clustering() -> None:
    rng = np.random.default_rng(3)
    pts = np.r_[rng.normal(0, 0.1, (20, 2)), rng.normal(3, 0.1, (20, 2))]
    names = np.arange(40)
    cold = kmeans(pts, names, 2, max_iters=20)
    warm = kmeans(pts, names, 2, max_iters=20, start=clean_start(pts, names, cold, 2))
    assert warm.ids.tolist() == cold.ids.tolist()
    assert np.array_equal(warm.labels, cold.labels)


def test_group_step_carries_the_smoother_between_updates() -> None:
    rng = np.random.default_rng(5)
    two = np.r_[rng.normal(-2, 0.05, (12, 2)), rng.normal(2, 0.05, (12, 2))]
    base2 = kmeans(two, np.arange(24), 24, max_iters=20)
    step = group_clusterings(base2, max_k=5, iters=20, k_buffer=4)
    assert step.smoother.smoothed_k == 2
    three = np.r_[two, rng.normal((0, 6), 0.05, (12, 2))]
    base3 = kmeans(three, np.arange(36), 36, max_iters=20)
    bests = [2]
    smoothed: list[int | None] = [step.smoother.smoothed_k]
    for _ in range(6):
        step = group_clusterings(base3, max_k=5, iters=20, k_buffer=4, last=step)
        bests.append(max(step.silhouettes, key=lambda k: (step.silhouettes[k], k)))
        smoothed.append(step.smoother.smoothed_k)
        # Each k's clustering warm-starts from the previous update's clustering for that k.
        assert set(step.clusterings) == set(range(2, 2 + 36 // 12 + 1))
    assert smoothed == _run(bests)
