"""Pol.is's k-means (base clusters and group clusters) and silhouette.

Follows polismath.math.clusters: centres start on the first k distinct points
(or on the previous update's clusters), points go to the nearest centre, empty
clusters are dropped, and iteration stops when every centre (paired after
sorting) moves less than 0.01 or the iteration budget runs out.

One deliberate difference: Pol.is breaks exact distance ties by the iteration
order of a Clojure hash map; here the cluster listed first wins, so results are
repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

SAME_CLUSTERING_THRESHOLD = 0.01


@dataclass(frozen=True)
class Clustering:
    """Clusters over named points: `labels[i]` is the position in `ids` of point `names[i]`."""

    ids: NDArray[np.int64]
    centers: NDArray[np.float64]
    names: NDArray[np.int64]
    labels: NDArray[np.int64]

    @property
    def sizes(self) -> NDArray[np.int64]:
        return np.bincount(self.labels, minlength=self.ids.shape[0]).astype(np.int64)

    def members(self, position: int) -> NDArray[np.int64]:
        return self.names[self.labels == position]


def _distances(points: NDArray[np.float64], centers: NDArray[np.float64]) -> NDArray[np.float64]:
    dx = points[:, 0, None] - centers[None, :, 0]
    dy = points[:, 1, None] - centers[None, :, 1]
    return np.asarray(np.sqrt(dx * dx + dy * dy))


def _nearest(points: NDArray[np.float64], centers: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the nearest centre for each point; on an exact tie the lower index.

    A k-d tree keeps this O(n log k) per step instead of O(n k); asking for the
    two nearest lets exact ties resolve to the first-listed centre.
    """
    if centers.shape[0] == 1 or points.shape[0] == 0:
        return np.zeros(points.shape[0], dtype=np.int64)
    dist, idx = cKDTree(centers).query(points, k=2)
    tie = dist[:, 0] == dist[:, 1]
    nearest = np.where(tie, np.minimum(idx[:, 0], idx[:, 1]), idx[:, 0])
    return np.asarray(nearest, dtype=np.int64)


def _weighted_centers(
    points: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64], m: int
) -> NDArray[np.float64]:
    total = np.bincount(labels, weights=weights, minlength=m)
    sx = np.bincount(labels, weights=weights * points[:, 0], minlength=m)
    sy = np.bincount(labels, weights=weights * points[:, 1], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([sx / total, sy / total], axis=1)


def first_distinct(points: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """Positions of the first k distinct points, in order (Pol.is's `init-clusters`)."""
    if points.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    # + 0.0 turns -0.0 into 0.0: Clojure's equality treats them as the same point.
    _, first = np.unique(points + 0.0, axis=0, return_index=True)
    return np.sort(first)[:k].astype(np.int64)


def _sorted_centers(centers: NDArray[np.float64]) -> NDArray[np.float64]:
    return centers[np.lexsort((centers[:, 1], centers[:, 0]))]


def _same_clustering(old: NDArray[np.float64], new: NDArray[np.float64]) -> bool:
    """Pol.is's `same-clustering?`: centres paired in sorted order all moved < 0.01."""
    a, b = _sorted_centers(old), _sorted_centers(new)
    n = min(a.shape[0], b.shape[0])
    moved = np.sqrt(((a[:n] - b[:n]) ** 2).sum(axis=1))
    return bool(np.all(moved < SAME_CLUSTERING_THRESHOLD))


def kmeans(
    points: NDArray[np.float64],
    names: NDArray[np.int64],
    k: int,
    *,
    max_iters: int,
    weights: NDArray[np.float64] | None = None,
    start: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None,
) -> Clustering:
    """Pol.is's `kmeans`: at most `max_iters + 1` assignment steps, empty clusters dropped.

    `start` is (ids, centres) to begin from (see `clean_start`); without it the
    centres are the first k distinct points with ids 0, 1, ...
    """
    w = np.ones(points.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if start is None:
        init = first_distinct(points, k)
        ids = np.arange(init.shape[0], dtype=np.int64)
        centers = points[init].copy()
    else:
        ids, centers = start
    labels = np.zeros(points.shape[0], dtype=np.int64)
    iters_left = max_iters
    while True:
        labels = _nearest(points, centers)
        new_centers = _weighted_centers(points, labels, w, ids.shape[0])
        used = np.bincount(labels, minlength=ids.shape[0]) > 0
        remap = np.cumsum(used) - 1
        new_ids, new_centers, labels = ids[used], new_centers[used], remap[labels]
        done = iters_left == 0 or _same_clustering(centers, new_centers)
        ids, centers = new_ids, new_centers
        if done:
            break
        iters_left -= 1
    order = np.argsort(ids, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return Clustering(ids[order], centers[order], names.astype(np.int64), rank[labels])


def clean_start(
    points: NDArray[np.float64],
    names: NDArray[np.int64],
    last: Clustering,
    k: int,
    *,
    weights: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Pol.is's `clean-start-clusters`: warm-start centres from the previous update.

    Previous clusters are recentred on their members' new positions (members no
    longer present are ignored, clusters left empty dropped), clusters with
    identical centres merged, and then, while fewer clusters exist than
    min(k, distinct points), the point farthest from every centre is split off
    into a new cluster of its own.

    Works on a label per point (-1: in no previous cluster) so that a replay of
    thousands of updates stays cheap.
    """
    w = np.ones(points.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    labels = _carried_labels(names, last)
    sizes = np.bincount(labels[labels >= 0], minlength=last.ids.shape[0])
    kept = sizes > 0
    if not kept.any():
        everyone = np.arange(points.shape[0])
        centre = _mean_of(points, w, everyone.tolist())
        return np.array([int(last.ids.max(initial=-1)) + 1]), centre[None, :]
    ids = [int(i) for i in last.ids[kept]]
    labels = _relabel(labels, kept)
    ids, labels = _uniqify(points, w, ids, labels)
    centres = _label_centres(points, w, labels, len(ids))
    if len(ids) >= k:
        return np.array(ids, dtype=np.int64), centres
    possible = min(k, first_distinct(points, points.shape[0]).shape[0])
    while possible > len(ids):
        nearest_d = _distances(points, centres).min(axis=1)
        # min-key / max-key in Clojure return the last of equal candidates.
        far = int(points.shape[0] - 1 - np.argmax(nearest_d[::-1]))
        if nearest_d[far] <= 0:
            break
        ids.append(max(ids) + 1)
        labels[far] = len(ids) - 1
        left = np.bincount(labels[labels >= 0], minlength=len(ids)) > 0
        if not left.all():
            ids = [i for i, keep in zip(ids, left, strict=True) if keep]
            labels = _relabel(labels, left)
        centres = _label_centres(points, w, labels, len(ids))
    return np.array(ids, dtype=np.int64), centres


def _carried_labels(names: NDArray[np.int64], last: Clustering) -> NDArray[np.int64]:
    """For each of `names`, its cluster position in `last` (-1 when it was in none)."""
    labels = np.full(names.shape[0], -1, dtype=np.int64)
    if names.shape[0] == 0 or last.names.shape[0] == 0:
        return labels
    order = np.argsort(names, kind="stable")
    at = np.minimum(np.searchsorted(names[order], last.names), names.shape[0] - 1)
    found = names[order[at]] == last.names
    labels[order[at[found]]] = last.labels[found]
    return labels


def _relabel(labels: NDArray[np.int64], kept: NDArray[np.bool_]) -> NDArray[np.int64]:
    remap = np.cumsum(kept) - 1
    return np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)


def _label_centres(
    points: NDArray[np.float64], w: NDArray[np.float64], labels: NDArray[np.int64], m: int
) -> NDArray[np.float64]:
    has = labels >= 0
    return _weighted_centers(points[has], labels[has], w[has], m)


def _uniqify(
    points: NDArray[np.float64], w: NDArray[np.float64], ids: list[int], labels: NDArray[np.int64]
) -> tuple[list[int], NDArray[np.int64]]:
    """Pol.is's `uniqify-clusters`: a later cluster with the same centre as an earlier
    one merges into it; the merged cluster keeps the id of the one with more members
    (the later one on a tie: Clojure's max-key returns the last)."""
    centres = _label_centres(points, w, labels, len(ids))
    if np.unique(centres, axis=0).shape[0] == len(ids):
        return ids, labels
    counts = np.bincount(labels[labels >= 0], minlength=len(ids))
    first: dict[tuple[float, float], int] = {}
    target = np.zeros(len(ids), dtype=np.int64)
    merged_ids: list[int] = []
    merged_counts: list[int] = []
    for j, cid in enumerate(ids):
        key = (float(centres[j, 0]), float(centres[j, 1]))
        if key in first:
            q = first[key]
            if counts[j] >= merged_counts[q]:
                merged_ids[q] = cid
            merged_counts[q] += int(counts[j])
            target[j] = q
        else:
            first[key] = target[j] = len(merged_ids)
            merged_ids.append(cid)
            merged_counts.append(int(counts[j]))
    return merged_ids, np.where(labels >= 0, target[np.maximum(labels, 0)], -1)


def _mean_of(
    points: NDArray[np.float64], w: NDArray[np.float64], idx: list[int]
) -> NDArray[np.float64]:
    sel = np.asarray(idx, dtype=np.int64)
    ww = w[sel]
    return np.asarray((points[sel] * ww[:, None]).sum(axis=0) / ww.sum())


def silhouette(distances: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """Pol.is's `silhouette` of a clustering: the plain mean over points.

    For a point, a = mean distance to the rest of its cluster, b = the smallest
    mean distance to another cluster, s = (b - a) / max(a, b); a point alone in
    its cluster scores 0 (as does one with no other cluster to compare with).
    """
    n = labels.shape[0]
    m = int(labels.max(initial=-1)) + 1
    if n == 0:
        return 0.0
    onehot = np.zeros((n, m))
    onehot[np.arange(n), labels] = 1.0
    sums = distances @ onehot
    sizes = onehot.sum(axis=0)
    scores = np.zeros(n)
    for i in range(n):
        own = labels[i]
        if sizes[own] <= 1 or m < 2:
            continue
        a = sums[i, own] / (sizes[own] - 1)
        others = [sums[i, j] / sizes[j] for j in range(m) if j != own and sizes[j] > 0]
        if not others:
            continue
        b = min(others)
        top = max(a, b)
        scores[i] = (b - a) / top if top > 0 else 0.0
    return float(scores.mean())


def pairwise_distances(points: NDArray[np.float64]) -> NDArray[np.float64]:
    return _distances(points, points)


@dataclass(frozen=True)
class KSmoother:
    """Pol.is's `group-k-smoother`: the number of groups changes only after the same
    best k has won `buffer` consecutive updates."""

    last_k: int | None = None
    last_k_count: int = 0
    smoothed_k: int | None = None

    def update(self, best_k: int, buffer: int) -> KSmoother:
        count = self.last_k_count + 1 if self.last_k == best_k else 1
        if count >= buffer:
            smoothed = best_k
        else:
            smoothed = self.smoothed_k if self.smoothed_k is not None else best_k
        return KSmoother(best_k, count, smoothed)


@dataclass(frozen=True)
class GroupStep:
    """Group clusterings for every candidate k, their silhouettes, and the chosen k."""

    clusterings: dict[int, Clustering]
    silhouettes: dict[int, float]
    smoother: KSmoother

    @property
    def chosen(self) -> Clustering:
        assert self.smoother.smoothed_k is not None
        return self.clusterings[self.smoother.smoothed_k]


def group_clusterings(
    base: Clustering,
    *,
    max_k: int,
    iters: int,
    k_buffer: int,
    last: GroupStep | None = None,
    candidates: range | None = None,
    weighted: bool = True,
) -> GroupStep:
    """Pol.is's group clusters: weighted k-means over base-cluster centres.

    Candidates k = 2 .. min(max_k, 2 + floor(n_base / 12)) unless `candidates`
    gives an older era's range (polis_eras.PolisRules.group_k_candidates);
    each runs from the previous update's clustering for that k when there is
    one. The best k by silhouette (ties: the larger k, as Clojure's max-key
    returns the last) feeds the smoother, whose k is the one used (`k_buffer`
    1: no smoothing). Before November 2014 the k-means was unweighted
    (`weighted=False`).
    """
    points = base.centers
    weights = base.sizes.astype(np.float64) if weighted else np.ones(points.shape[0])
    dist = pairwise_distances(points)
    ks = (
        candidates
        if candidates is not None
        else range(2, min(max_k, 2 + points.shape[0] // 12) + 1)
    )
    if len(ks) == 0:
        # Pol.is's max-key over no candidates fails; the update keeps 2 groups.
        ks = range(2, 3)
    clusterings: dict[int, Clustering] = {}
    scores: dict[int, float] = {}
    for k in ks:
        previous = last.clusterings.get(k) if last is not None else None
        start = (
            clean_start(points, base.ids, previous, k, weights=weights)
            if previous is not None
            else None
        )
        c = kmeans(points, base.ids, k, max_iters=iters, weights=weights, start=start)
        clusterings[k] = c
        scores[k] = silhouette(dist, c.labels)
    best_k = max(scores, key=lambda kk: (scores[kk], kk))
    smoother = (last.smoother if last is not None else KSmoother()).update(best_k, k_buffer)
    if smoother.smoothed_k not in clusterings:
        smoother = KSmoother(smoother.last_k, smoother.last_k_count, best_k)
    return GroupStep(clusterings, scores, smoother)
