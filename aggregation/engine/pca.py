"""Pol.is's PCA and projections, computed on the sparse centred matrix.

Pol.is fills missing cells with the column mean and subtracts the column mean,
so every missing cell is exactly 0 after centring: the centred matrix has the
sparsity of the votes. Pol.is finds the first two components by power
iteration; an exact SVD gives the same components up to sign (checked against
Pol.is's own output to 1e-15).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, svds

from .rating import RatingMatrix

N_COMPONENTS = 2
# Up to this many columns the components come from the (dense, small) Gram
# matrix X'X: one sparse product and a symmetric eigensolve, which beats ARPACK
# and dense SVD there and stays exact to ~1e-15 (checked against Pol.is).
_GRAM_MAX_COLS = 1500
# Singular values this small (relative to the largest possible) mean "no variance".
_ZERO_VARIANCE = 1e-12
_NEGLIGIBLE_RELATIVE = 1e-6


@dataclass(frozen=True)
class Pca:
    """Pol.is's `pca`: centre and components per column (Pol.is sign), plus projections."""

    center: NDArray[np.float64]
    components: NDArray[np.float64]
    statement_projection: NDArray[np.float64]
    statement_extremity: NDArray[np.float64]


def column_means(rm: RatingMatrix, *, impute: str = "column_mean") -> NDArray[np.float64]:
    """Pol.is's `center`: the column means of the imputed, zeroed matrix.

    With "column_mean" imputation (Pol.is since October 2017) a missing cell
    takes its column's mean, so the centre is the mean of the voted cells; with
    "zero" (before) a missing cell is 0 and the centre is the column sum over
    every row. A moderated-out column is all zeros, so its mean is 0.
    """
    kept = ~rm.col_out[rm.col]
    sums = np.bincount(rm.col[kept], weights=rm.value[kept], minlength=rm.n_cols)
    if impute == "zero":
        return sums / max(rm.n_rows, 1)
    counts = np.bincount(rm.col, minlength=rm.n_cols)
    return np.divide(sums, counts, out=np.zeros(rm.n_cols), where=counts > 0)


def _voted_cells(
    rm: RatingMatrix,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Cells outside zeroed columns in CSR order: (row, col, value, indptr).

    Hand-written for speed: row, column and vote are packed into one int64 and
    sorted with np.sort (SIMD), which took the matrix build from 80 ms to
    about 15 ms of CPU on 1M votes (coo_array.tocsr sorts indices and sums
    duplicates, and the latest votes have none).
    """
    kept = ~rm.col_out[rm.col]
    row, col, value = rm.row[kept], rm.col[kept], rm.value[kept]
    col_bits = max(1, int(rm.n_cols).bit_length())
    row_bits = max(1, int(rm.n_rows).bit_length())
    if row_bits + col_bits + 2 > 62:
        order = np.lexsort((col, row))
        row, col, value = row[order], col[order], value[order]
    else:
        packed = (row << (col_bits + 2)) | (col << 2) | (value.astype(np.int64) + 1)
        packed.sort()
        value = ((packed & 3) - 1).astype(np.float64)
        col = (packed >> 2) & ((1 << col_bits) - 1)
        row = packed >> (col_bits + 2)
    indptr = np.zeros(rm.n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=rm.n_rows), out=indptr[1:])
    return row, col, value, indptr


def centred_matrix(rm: RatingMatrix, center: NDArray[np.float64]) -> sp.csr_array:
    """The voted cells minus their column's centre; missing and zeroed cells are structural zeros.

    With column-mean imputation this is exactly the centred matrix Pol.is
    decomposes; with zero imputation it is what Pol.is's sparsity-aware
    projection reads (only voted cells), while the decomposed matrix also has
    -centre in every missing cell (see `top_components`' `shift`).
    """
    _, col, value, indptr = _voted_cells(rm)
    return sp.csr_array((value - center[col], col, indptr), shape=(rm.n_rows, rm.n_cols))


def raw_matrix(rm: RatingMatrix) -> sp.csr_array:
    """The zero-imputed matrix (votes in Pol.is's sign, zeroed columns 0), uncentred."""
    _, col, value, indptr = _voted_cells(rm)
    return sp.csr_array((value, col, indptr), shape=(rm.n_rows, rm.n_cols))


def _canonical_sign(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fix the arbitrary sign of a component: its largest-magnitude entry is positive."""
    if v.size == 0:
        return v
    pivot = int(np.argmax(np.abs(v)))
    return -v if v[pivot] < 0 else v


def top_components(
    x: sp.csr_array, shift: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """First two right singular vectors of `x - 1 shift'` (rows of the result); zeros where none exists.

    `shift` (per column, subtracted from every row, missing cells included) is
    how zero imputation's dense centred matrix is decomposed without forming it.
    """
    n_rows, n_cols = x.shape
    comps = np.zeros((N_COMPONENTS, n_cols))
    k = min(N_COMPONENTS, n_rows, n_cols)
    has_shift = shift is not None and bool(np.any(shift != 0))
    if k == 0 or (x.nnz == 0 and not has_shift):
        return comps
    s_vec = np.zeros(n_cols) if shift is None else np.asarray(shift, dtype=np.float64)
    if min(n_rows, n_cols) <= N_COMPONENTS + 1:
        _, s, vt = np.linalg.svd(x.toarray() - s_vec[None, :], full_matrices=False)
    elif n_cols <= _GRAM_MAX_COLS:
        gram = (x.T @ x).toarray()
        if has_shift:
            # (x - 1 s')'(x - 1 s') = x'x - x'1 s' - s 1'x + n s s'
            col_sums = np.asarray(x.sum(axis=0)).ravel()
            gram -= np.outer(col_sums, s_vec) + np.outer(s_vec, col_sums)
            gram += n_rows * np.outer(s_vec, s_vec)
        eigval, eigvec = np.linalg.eigh(gram)
        top = np.argsort(-eigval, kind="stable")
        s = np.sqrt(np.clip(eigval[top], 0.0, None))
        vt = eigvec[:, top].T
    else:
        # ARPACK's start vector is fixed so that the result is bit-for-bit repeatable;
        # 1e-10 relative accuracy is far below anything the clustering can see.
        v0 = np.random.default_rng(0).standard_normal(min(n_rows, n_cols))
        op: sp.csr_array | LinearOperator = x
        if has_shift:
            op = LinearOperator(
                (n_rows, n_cols),
                matvec=lambda v: x @ v - float(s_vec @ np.ravel(v)),
                rmatvec=lambda u: x.T @ u - s_vec * float(np.sum(u)),
                dtype=np.float64,
            )
        _, s, vt = svds(op, k=k, tol=1e-10, v0=v0, solver="arpack")
        order = np.argsort(-s, kind="stable")
        s, vt = s[order], vt[order]
    biggest = max(float(np.abs(x.data).max()) if x.nnz else 0.0, float(np.abs(s_vec).max()), 1.0)
    scale = biggest * np.sqrt(float(max(x.nnz, 1)))
    if s[0] <= _ZERO_VARIANCE * scale:
        return comps
    for i in range(k):
        # Via the Gram matrix a zero singular value comes back as ~1e-8 s[0];
        # anything that small relative to the first carries no structure.
        if s[i] > _NEGLIGIBLE_RELATIVE * s[0]:
            comps[i] = _canonical_sign(vt[i])
    return comps


def project_participants(
    rm: RatingMatrix, x: sp.csr_array, components: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Pol.is's `sparsity-aware-project-ptpts`: (n_rows, 2) participant positions.

    Only voted cells contribute (centred), then the point is pushed out by
    sqrt(n_cols / max(n_votes, 1)) so that people who saw few comments are not
    all piled up at the centre.
    """
    raw = np.asarray(x @ components.T)
    n_votes = rm.row_n_votes_zeroed()
    scale = np.sqrt(rm.n_cols / np.maximum(n_votes, 1))
    return np.asarray(raw * scale[:, None], dtype=np.float64)


def project_statements(
    center: NDArray[np.float64], components: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pol.is's `comment-projection` (2, n_cols) and `comment-extremity` (n_cols).

    Each comment is a synthetic participant with a single -1 (agree, in Pol.is's
    sign) on it, scaled like a participant with one vote: sqrt(n_cols / 1).
    """
    n_cols = center.shape[0]
    proj = (-1.0 - center)[None, :] * components * np.sqrt(float(n_cols))
    return proj, np.sqrt((proj**2).sum(axis=0))


def polis_pca(
    rm: RatingMatrix, *, impute: str = "column_mean", sparse_projection: bool = True
) -> tuple[Pca, NDArray[np.float64]]:
    """Pol.is's PCA of the rating matrix and the participant projections.

    `impute` and `sparse_projection` select older Pol.is rules (polis_eras.py):
    zero imputation decomposes the dense matrix with -centre in every missing
    cell; without the sparsity-aware projection, the whole imputed row is
    projected and not rescaled (Pol.is's `pca-project`).
    """
    center = column_means(rm, impute=impute)
    x = centred_matrix(rm, center)
    if impute == "zero":
        raw = raw_matrix(rm)
        comps = top_components(raw, shift=center)
    else:
        comps = top_components(x)
    proj, extremity = project_statements(center, comps)
    if sparse_projection:
        positions = project_participants(rm, x, comps)
    elif impute == "zero":
        positions = np.asarray(raw @ comps.T) - (center @ comps.T)[None, :]
    else:
        # Every missing cell sits at its column mean: 0 after centring.
        positions = np.asarray(x @ comps.T)
    return Pca(center, comps, proj, extremity), np.asarray(positions, dtype=np.float64)
