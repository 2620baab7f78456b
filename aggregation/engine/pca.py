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
from scipy.sparse.linalg import svds

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


def column_means(rm: RatingMatrix) -> NDArray[np.float64]:
    """Pol.is's `center`: mean of the non-missing cells of each zeroed column.

    A moderated-out column is all zeros, so its mean is 0.
    """
    kept = ~rm.col_out[rm.col]
    sums = np.bincount(rm.col[kept], weights=rm.value[kept], minlength=rm.n_cols)
    counts = np.bincount(rm.col, minlength=rm.n_cols)
    return np.divide(sums, counts, out=np.zeros(rm.n_cols), where=counts > 0)


def centred_matrix(rm: RatingMatrix, center: NDArray[np.float64]) -> sp.csr_array:
    """The mean-imputed, centred matrix; missing and zeroed cells are structural zeros."""
    kept = ~rm.col_out[rm.col]
    data = rm.value[kept] - center[rm.col[kept]]
    coo = sp.coo_array((data, (rm.row[kept], rm.col[kept])), shape=(rm.n_rows, rm.n_cols))
    return coo.tocsr()


def _canonical_sign(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fix the arbitrary sign of a component: its largest-magnitude entry is positive."""
    if v.size == 0:
        return v
    pivot = int(np.argmax(np.abs(v)))
    return -v if v[pivot] < 0 else v


def top_components(x: sp.csr_array) -> NDArray[np.float64]:
    """First two right singular vectors of `x` (rows of the result); zeros where none exists."""
    n_rows, n_cols = x.shape
    comps = np.zeros((N_COMPONENTS, n_cols))
    k = min(N_COMPONENTS, n_rows, n_cols)
    if k == 0 or x.nnz == 0:
        return comps
    if min(n_rows, n_cols) <= N_COMPONENTS + 1:
        _, s, vt = np.linalg.svd(x.toarray(), full_matrices=False)
    elif n_cols <= _GRAM_MAX_COLS:
        gram = (x.T @ x).toarray()
        eigval, eigvec = np.linalg.eigh(gram)
        top = np.argsort(-eigval, kind="stable")
        s = np.sqrt(np.clip(eigval[top], 0.0, None))
        vt = eigvec[:, top].T
    else:
        # ARPACK's start vector is fixed so that the result is bit-for-bit repeatable;
        # 1e-10 relative accuracy is far below anything the clustering can see.
        v0 = np.random.default_rng(0).standard_normal(min(n_rows, n_cols))
        _, s, vt = svds(x, k=k, tol=1e-10, v0=v0, solver="arpack")
        order = np.argsort(-s, kind="stable")
        s, vt = s[order], vt[order]
    scale = max(float(np.abs(x.data).max()), 1.0) * np.sqrt(float(x.nnz))
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


def polis_pca(rm: RatingMatrix) -> tuple[Pca, NDArray[np.float64]]:
    """Pol.is's PCA of the rating matrix and the participant projections."""
    center = column_means(rm)
    x = centred_matrix(rm, center)
    comps = top_components(x)
    proj, extremity = project_statements(center, comps)
    positions = project_participants(rm, x, comps)
    return Pca(center, comps, proj, extremity), positions
