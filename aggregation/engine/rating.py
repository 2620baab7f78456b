"""Pol.is's rating matrix, kept sparse.

Pol.is builds a participants x comments matrix of latest votes, with a row for
every participant who has voted at least once and a column for every comment
that has received at least one vote (a comment nobody voted on is not a column,
so it does not count in `n_cmts`). Its engine uses agree = -1, disagree = +1;
this module converts from the export convention (agree = +1) once, here.

Moderated-out comments (rejected or meta) are "zeroed out" by Pol.is: every cell
of the column, voted or not, becomes 0. Those cells then count as votes in the
projection scaling (`n_votes` below) while contributing nothing to the PCA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .votes import VoteTable


@dataclass(frozen=True)
class RatingMatrix:
    """Latest votes of the participants who voted, in Pol.is's row and column order.

    `rows[i]` is the participant index of row i, `cols[j]` the statement index of
    column j. Votes are coordinates (`row`, `col`) with `value` in Pol.is's sign.
    """

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    row: NDArray[np.int64]
    col: NDArray[np.int64]
    value: NDArray[np.float64]
    col_out: NDArray[np.bool_]

    @property
    def n_rows(self) -> int:
        return int(self.rows.shape[0])

    @property
    def n_cols(self) -> int:
        return int(self.cols.shape[0])

    def row_vote_counts(self) -> NDArray[np.int64]:
        """Pol.is's `user-vote-counts`: votes per row in the raw matrix (passes count)."""
        return np.bincount(self.row, minlength=self.n_rows).astype(np.int64)

    def row_n_votes_zeroed(self) -> NDArray[np.int64]:
        """Non-missing cells per row of the zeroed matrix: the `n-votes` of the projection.

        Every cell of a moderated-out column is 0 (not missing) after zeroing, so
        each row gains one per such column whether or not it voted there.
        """
        kept = ~self.col_out[self.col]
        in_cols = np.bincount(self.row[kept], minlength=self.n_rows)
        return (in_cols + int(self.col_out.sum())).astype(np.int64)


def participant_order(
    table: VoteTable,
    *,
    participant: NDArray[np.int64],
    time: NDArray[np.float64] | None,
) -> NDArray[np.int64]:
    """Participants who voted, in the order Pol.is appends their rows.

    Pol.is adds a row when a participant's first vote reaches its engine, so rows
    follow first-vote time (over all vote events `participant`, `time`); ties
    (and input without times) fall back to the participant index, which is the
    caller's arrival order.
    """
    # bincount instead of np.unique: linear, and the indices are dense anyway.
    voters = np.flatnonzero(np.bincount(table.participant, minlength=table.n_participants))
    if time is None or voters.size == 0:
        return voters.astype(np.int64)
    first = np.full(table.n_participants, np.inf)
    np.minimum.at(first, participant, time)
    order = np.lexsort((voters, first[voters]))
    return voters[order].astype(np.int64)


def build_rating_matrix(
    table: VoteTable,
    *,
    row_order: NDArray[np.int64],
    moderated_out: NDArray[np.bool_],
) -> RatingMatrix:
    """The rating matrix of `table` with rows in `row_order` and columns by statement index.

    Columns are the statements with at least one vote, ascending by index (the
    order of Pol.is comment ids, which is how its output lists `tids`).
    """
    cols = np.flatnonzero(np.bincount(table.statement, minlength=table.n_statements)).astype(
        np.int64
    )
    row_of = np.full(table.n_participants, -1, dtype=np.int64)
    row_of[row_order] = np.arange(row_order.shape[0])
    col_of = np.full(table.n_statements, -1, dtype=np.int64)
    col_of[cols] = np.arange(cols.shape[0])
    return RatingMatrix(
        rows=row_order,
        cols=cols,
        row=row_of[table.participant],
        col=col_of[table.statement],
        value=-table.value.astype(np.float64),
        col_out=np.asarray(moderated_out, dtype=bool)[cols],
    )
