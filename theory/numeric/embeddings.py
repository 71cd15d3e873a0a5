"""Token embeddings for the numerical JoMA block: orthonormal and almost-orthogonal columns.

Role: the embedding matrices :math:`U = [u_1, \\dots, u_M, u_{m}]` the referee and the
strategies use.  JoMA (Tian et al., ICLR 2024, arXiv 2310.00535) assumes orthonormal
embeddings, :math:`U^T U = I` (so :math:`d \\ge M + 1`); the "almost orthogonal" relaxation
has unit columns with :math:`|u_i^T u_j| \\le \\varepsilon` for :math:`i \\ne j`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgument

__all__ = ["almost_orthogonal_embeddings", "coherence", "orthonormal_embeddings"]


def _check_sizes(n: int, d: int) -> None:
    if not (isinstance(d, int | np.integer) and isinstance(n, int | np.integer)) or n < 1 or d < 1:
        raise InvalidArgument(f"expected positive integer sizes, got n={n!r}, d={d!r}")


def orthonormal_embeddings(n: int, d: int | None = None, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` random orthonormal columns in :math:`\\mathbb{R}^d` (QR of a Gaussian matrix).

    The same signature as the Hypothesis strategy :func:`theory.strategies.orthonormal_embeddings`
    (which draws ``rng``).

    Parameters
    ----------
    n : int
        Number of columns (tokens).
    d : int, optional
        Embedding dimension, at least ``n`` (default ``n``).
    rng : numpy.random.Generator
        Source of the Gaussian matrix.

    Returns
    -------
    ndarray, shape (d, n)
        ``U`` with ``U.T @ U == I`` to rounding.

    Examples
    --------
    >>> u = orthonormal_embeddings(3, 5, rng=np.random.default_rng(0))
    >>> u.shape, bool(np.allclose(u.T @ u, np.eye(3)))
    ((5, 3), True)
    """
    d = n if d is None else d
    _check_sizes(n, d)
    if d < n:
        raise InvalidArgument(f"orthonormal embeddings need d >= n, got d={d}, n={n}; raise d")
    q, r = np.linalg.qr(rng.standard_normal((d, n)))
    return q * np.sign(np.diag(r))


def almost_orthogonal_embeddings(n: int, d: int, *, rng: np.random.Generator, eps: float | None = None) -> np.ndarray:
    """``n`` unit columns with pairwise overlaps :math:`|u_i^T u_j| \\le \\varepsilon`.

    Random unit vectors in :math:`\\mathbb{R}^d` have overlaps of order
    :math:`\\sqrt{2 \\log n / d}`; with ``eps`` given, the overlaps are scaled down by
    interpolating towards an orthonormal set (needs ``d >= n``) until the bound holds.
    The same order as the strategy :func:`theory.strategies.almost_orthogonal_embeddings`.

    Parameters
    ----------
    n : int
        Number of columns.
    d : int
        Embedding dimension.
    rng : numpy.random.Generator
    eps : float, optional
        Bound on the overlaps, in ``[0, 1)``; ``None`` keeps the random unit columns.

    Returns
    -------
    ndarray, shape (d, n)
    """
    _check_sizes(n, d)
    g = rng.standard_normal((d, n))
    u = g / np.linalg.norm(g, axis=0)
    if eps is None:
        return u
    if not (0 <= eps < 1):
        raise InvalidArgument(f"expected 0 <= eps < 1, got eps={eps!r}")
    if d < n:
        raise InvalidArgument(f"eps-bounded overlaps need d >= n here, got d={d}, n={n}")
    q = orthonormal_embeddings(n, d, rng=rng)
    lo, hi = 0.0, 1.0  # mix weight of the random part; bisection on the coherence
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        cand = (1 - mid) * q + mid * u
        cand /= np.linalg.norm(cand, axis=0)
        lo, hi = (mid, hi) if coherence(cand) <= eps else (lo, mid)
    cand = (1 - lo) * q + lo * u
    return cand / np.linalg.norm(cand, axis=0)


def coherence(u: np.ndarray) -> float:
    """The largest off-diagonal overlap :math:`\\max_{i \\ne j} |u_i^T u_j|` of unit columns."""
    gram = u.T @ u
    np.fill_diagonal(gram, 0.0)
    return float(np.abs(gram).max()) if gram.size > 1 else 0.0
