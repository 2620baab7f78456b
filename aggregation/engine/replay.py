"""Replaying Pol.is's warm-started base clusters over the vote history.

Pol.is never clusters a conversation from scratch. Its math worker polls for new
votes about once a second (poller.clj, `:polling-interval` 1000 ms) and runs one
conversation update on everything that arrived, including whatever queued while
the previous update was computing (conv_man.clj). Each update:

- adds the new votes to the rating matrix (new participants and comments are
  appended as rows and columns);
- runs the PCA as a power iteration started from the previous update's
  components, new columns padded with 1, for at most 100 steps (pca.clj);
- admits participants to the sticky in-conv set (conversation.clj);
- runs the base k-means (k = 100, at most 100 steps) from the previous
  update's clusters (clusters.clj `clean-start-clusters`): clusters are
  recentred on their members' new positions, and while fewer clusters exist
  than min(k, distinct points) the point farthest from every centre founds a
  new cluster whose id is the largest id + 1; a k-means step that leaves a
  cluster empty drops it, id and all.

So the final base clusters, and their ids with gaps where clusters emptied, are
the end of a chain of thousands of small steps, which one cold k-means on the
final projections does not reach. `replay_base_clusters` replays that chain.

What the export does not record, and how this replay fills it in:

- Update boundaries: Pol.is's depend on its polling phase and compute time.
  Here a new update starts at a vote more than `gap_ms` after the previous
  vote (0: one update per distinct timestamp).
- Moderation times: the caller says from when each statement counts as
  moderated out; `estimate_moderation_times` infers them from a strictly
  moderated conversation's votes (the engine's default, without them, is
  "from the start").
- Pol.is's first power iteration starts from a random vector; here from a
  fixed pseudo-random one, so that the replay is repeatable.

Measured on the biodiversity conversation (Pol.is's own output in the shared
data): one update per distinct timestamp, per 1 s gap, per busy worker taking
3 s an update, and with an exact eigensolver instead of the power iteration all
end in the same clustering, 62 of Pol.is's 100 base clusters with every
moderated-out statement out from the start and 77 with estimated moderation
times (a cold k-means: 8). Coarser updates drift apart (5 s gaps: 67 and 61;
10 s: 42; 60 s: 36; 1 h: 23), so the default is the finest.

Cost: each update is a power iteration on the statements x statements Gram
matrix (kept up to date column by column) and a warm k-means, about 1-3 ms for
a few hundred participants and statements, so a conversation of 30,000 votes
takes about a minute. That is why the replay is an option of the engine
(`PolisParams.replay_base_clusters`), not its default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .clusters import Clustering, clean_start, kmeans
from .history import _admit

PCA_ITERS = 100
N_COMPONENTS = 2
_START_SEED = 0
# Pol.is stops its power iteration when the eigenvalue estimate repeats exactly
# (or after 100 steps). Stopping once it moves by less than this relative amount
# changes no replayed clustering (measured: an exact eigensolver at every update
# gives the same final base clusters) and saves most of the steps.
_PCA_SETTLED = 1e-12


@dataclass(frozen=True)
class BaseReplay:
    """The base clusters after the last update, and the in-conv set they cover.

    `clustering.names` are participant indices; `clustering.centers` are in the
    replay's own PCA frame (its sign is arbitrary), so callers recentre them on
    their own positions.
    """

    clustering: Clustering
    in_conv: NDArray[np.bool_]
    n_updates: int


def update_ends(time: NDArray[np.float64], gap_ms: float) -> NDArray[np.int64]:
    """Exclusive end index of each update over time-sorted vote events.

    A new update starts at a vote that comes more than `gap_ms` after the one
    before it; with `gap_ms` = 0 every distinct timestamp is its own update.
    """
    if time.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(time) > gap_ms) + 1
    return np.r_[breaks, time.shape[0]].astype(np.int64)


class _WarmPca:
    """The centred rating matrix, its Gram matrix and Pol.is's warm-started PCA.

    Rows and columns are numbered in order of first appearance, as Pol.is appends
    them (within one update Pol.is appends in comment-id, participant-id order;
    here by time, which only matters for exact ties). Cells are Pol.is-signed
    votes (agree = -1) minus the column mean over the voters; unvoted and
    moderated-out cells are 0, as after Pol.is's mean imputation and centring.
    """

    def __init__(self, n_rows: int, n_cols: int, col_out: NDArray[np.bool_]) -> None:
        self.value = np.zeros((n_rows, n_cols))
        self.voted = np.zeros((n_rows, n_cols), dtype=bool)
        self.row_counts = np.zeros(n_rows, dtype=np.int64)
        self.centred = np.zeros((n_rows, n_cols))
        self.gram = np.zeros((n_cols, n_cols))
        self.col_out = col_out
        self.comps: NDArray[np.float64] | None = None
        self._rng = np.random.default_rng(_START_SEED)

    def add(
        self,
        rows: NDArray[np.int64],
        cols: NDArray[np.int64],
        values: NDArray[np.float64],
        moderated: NDArray[np.int64],
    ) -> None:
        """Record votes (later ones win) and newly moderated-out columns, and bring
        the touched columns of the Gram matrix up to date."""
        self.col_out[moderated] = True
        self.value[rows, cols] = values
        width = self.voted.shape[1]
        new = ~self.voted[rows, cols]
        fresh = np.unique(rows[new] * width + cols[new])
        np.add.at(self.row_counts, fresh // width, 1)
        self.voted[rows, cols] = True
        touched = np.unique(np.r_[cols, moderated])
        voted = self.voted[:, touched]
        count = voted.sum(axis=0)
        mean = (self.value[:, touched] * voted).sum(axis=0) / np.maximum(count, 1)
        x = np.where(voted, self.value[:, touched] - mean, 0.0)
        x[:, self.col_out[touched]] = 0.0
        self.centred[:, touched] = x
        g = x.T @ self.centred
        self.gram[touched, :] = g
        self.gram[:, touched] = g.T

    def components(self, n_rows: int, n_cols: int) -> NDArray[np.float64]:
        """Pol.is's `powerit-pca` with start vectors from the previous update."""
        gram = self.gram[:n_cols, :n_cols]
        n_comps = min(N_COMPONENTS, n_rows, n_cols)
        comps = np.zeros((n_comps, n_cols))
        found: NDArray[np.float64] | None = None
        for c in range(n_comps):
            start = self._start_vector(c, n_cols)
            comps[c] = _power_iteration(gram, start, found)
            norm = float(np.sqrt(comps[c] @ comps[c]))
            found = comps[c] / norm if norm > 0 else None
        self.comps = comps
        return comps

    def _start_vector(self, c: int, n_cols: int) -> NDArray[np.float64]:
        # A previous component carries over, padded with 1 for new columns; an
        # all-zero one (or none) is replaced by a random vector (`wrapped-pca`).
        prev = self.comps
        if prev is not None and c < prev.shape[0] and np.any(prev[c] != 0):
            return np.r_[prev[c], np.ones(n_cols - prev.shape[1])]
        return self._rng.random(n_cols)

    def positions(
        self, n_rows: int, n_cols: int, comps: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Pol.is's `sparsity-aware-project-ptpts` (a moderated-out cell counts as a vote)."""
        if comps.shape[0] < N_COMPONENTS:
            # Pol.is zips the row with both components; with one, the sum is empty.
            return np.zeros((n_rows, N_COMPONENTS))
        raw = self.centred[:n_rows, :n_cols] @ comps.T
        out = self.col_out[:n_cols]
        n_votes = (self.voted[:n_rows, :n_cols] & ~out).sum(axis=1) + int(out.sum())
        return np.asarray(raw * np.sqrt(n_cols / np.maximum(n_votes, 1))[:, None])


def _power_iteration(
    gram: NDArray[np.float64], start: NDArray[np.float64], deflate: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Pol.is's `power-iteration` on X'X: at most PCA_ITERS + 1 products, stopping early
    when the eigenvalue estimate has settled. `deflate` (a unit vector) is
    factored out of the data first, as `factor-matrix` does for the second component."""
    v = start
    last = 0.0
    for left in range(PCA_ITERS, -1, -1):
        if deflate is None:
            p = gram @ v
        else:
            p = gram @ (v - deflate * (deflate @ v))
            p = p - deflate * (deflate @ p)
        eig = float(np.sqrt(p @ p))
        v = p / eig if eig > 0 else p
        if left == 0 or abs(eig - last) <= _PCA_SETTLED * eig:
            break
        last = eig
    return np.asarray(v)


def estimate_moderation_times(
    *,
    time: NDArray[np.float64],
    statement: NDArray[np.int64],
    created: NDArray[np.float64],
    accepted: NDArray[np.bool_],
    moderated_out: NDArray[np.bool_],
    meta: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """When each statement was moderated out, as far as the export shows it.

    Exports keep no moderation times. Under strict moderation a statement is
    shown (and so gets votes beyond its author's) only once accepted, so the
    second vote on an accepted statement marks a moderation session by then.
    A rejected statement is taken as rejected at the first such session after
    it was written (the end of the history if none follows); meta statements as
    moderated out from the start; the rest never. Statements written before
    the first vote (the seed) mark no session.

    Measured on the biodiversity conversation: 77 of Pol.is's 100 base clusters
    come back with these times, 62 with everything moderated out from the start.
    """
    n_statements = created.shape[0]
    out = np.full(n_statements, np.inf)
    if time.shape[0] == 0:
        out[moderated_out | meta] = -np.inf
        return out
    order = np.argsort(time, kind="stable")
    t, s = time[order], statement[order]
    # Second vote per statement: the first event after each statement's first one.
    first = np.full(n_statements, t.shape[0], dtype=np.int64)
    np.minimum.at(first, s, np.arange(t.shape[0], dtype=np.int64))
    later = np.arange(t.shape[0]) != first[s]
    second = np.full(n_statements, np.inf)
    np.minimum.at(second, s[later], t[later])
    marks = accepted & ~meta & (created > t[0]) & np.isfinite(second)
    sessions = np.sort(second[marks])
    rejected = moderated_out & ~meta
    # After the last session: the end of the history.
    sessions = np.r_[sessions, t[-1]]
    out[rejected] = sessions[np.searchsorted(sessions[:-1], created[rejected], side="left")]
    out[meta] = -np.inf
    return out


def _first_seen(keys: NDArray[np.int64], size: int) -> NDArray[np.int64]:
    """Rank of each key by its first occurrence (-1 for keys that never occur)."""
    first = np.full(size, keys.shape[0], dtype=np.int64)
    np.minimum.at(first, keys, np.arange(keys.shape[0], dtype=np.int64))
    order = np.argsort(first, kind="stable")
    rank = np.full(size, -1, dtype=np.int64)
    seen = first[order] < keys.shape[0]
    rank[order[seen]] = np.arange(int(seen.sum()))
    return rank


def replay_base_clusters(
    *,
    participant: NDArray[np.int64],
    statement: NDArray[np.int64],
    value: NDArray[np.int64],
    time: NDArray[np.float64],
    moderated_at: NDArray[np.float64],
    n_participants: int,
    n_statements: int,
    k: int,
    max_iters: int,
    gap_ms: float = 0.0,
) -> BaseReplay:
    """Replay Pol.is's updates over the vote events and return the last base clustering.

    `value` is in the export sign (agree = +1); `moderated_at` is, per statement,
    the time from which it is moderated out (rejected or meta): -inf for
    "always", +inf for "never" (see `estimate_moderation_times`).
    """
    order = np.argsort(time, kind="stable")
    p, s, t = participant[order], statement[order], time[order]
    v = -value[order].astype(np.float64)  # Pol.is's sign: agree = -1
    row = _first_seen(p, n_participants)
    col = _first_seen(s, n_statements)
    n_rows = int((row >= 0).sum())
    n_cols = int((col >= 0).sum())
    col_moderated_at = np.full(n_cols, np.inf)
    col_moderated_at[col[col >= 0]] = np.asarray(moderated_at, dtype=np.float64)[col >= 0]
    pca = _WarmPca(n_rows, n_cols, np.zeros(n_cols, dtype=bool))

    participant_of_row = np.argsort(np.where(row >= 0, row, n_participants), kind="stable")[:n_rows]
    in_conv_rows = np.zeros(n_rows, dtype=bool)
    rank = np.arange(n_rows, dtype=np.int64)
    clustering: Clustering | None = None
    ends = update_ends(t, gap_ms)
    lo = rows_now = cols_now = 0
    for hi in ends:
        r, c = row[p[lo:hi]], col[s[lo:hi]]
        # Rows and columns are numbered by first appearance, so the matrix so far
        # is the leading block.
        rows_now = max(rows_now, int(r.max()) + 1)
        cols_now = max(cols_now, int(c.max()) + 1)
        now = col_moderated_at[:cols_now] <= t[hi - 1]
        pca.add(r, c, v[lo:hi], np.flatnonzero(now & ~pca.col_out[:cols_now]))
        comps = pca.components(rows_now, cols_now)
        positions = pca.positions(rows_now, cols_now, comps)
        _admit(
            in_conv_rows[:rows_now],
            pca.row_counts[:rows_now],
            np.unique(r),
            cols_now,
            rank[:rows_now],
            np.ones(rows_now, dtype=bool),
        )
        members = np.flatnonzero(in_conv_rows[:rows_now])
        points = positions[members]
        start = clean_start(points, members, clustering, k) if clustering is not None else None
        clustering = kmeans(points, members, k, max_iters=max_iters, start=start)
        lo = int(hi)

    in_conv = np.zeros(n_participants, dtype=bool)
    in_conv[participant_of_row[in_conv_rows]] = True
    if clustering is None:
        empty = Clustering(
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 2)),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )
        return BaseReplay(empty, in_conv, 0)
    named = Clustering(
        clustering.ids,
        clustering.centers,
        participant_of_row[clustering.names],
        clustering.labels,
    )
    return BaseReplay(named, in_conv, int(ends.shape[0]))
