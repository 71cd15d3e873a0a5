"""Exact theoretical receptive field of a stack of attention masks.

Role: given the masks of ``L`` layers (one mask, or a list cycled over the layers), compute
for every output position ``i`` the set of input positions with a path to ``i`` through
the layered graph (REFERENCE.md section 3).  Three exact methods that must agree:

* ``"interval"`` - interval arithmetic, O(n log n) per layer at worst, O(n) for the usual
  monotone masks, so ``n = 131072`` takes milliseconds.  Valid when every layer's key sets
  are ``[0, s_i) U [a_i, b_i]`` (:meth:`Mask.intervals`); the reach set then keeps the form
  ``[0, p_i) U [lo_i, hi_i]`` and composes as

  .. math::

      lo'_i = \\min_{a_i \\le j \\le b_i} lo_j, \\quad
      hi'_i = \\max_{a_i \\le j \\le b_i} hi_j, \\quad
      p'_i = \\max\\Big(\\max_{a_i \\le j \\le b_i} p_j,\\;
             \\max_{j < s_i} \\max(hi_j + 1, p_j)\\Big).

  (A union of integer intervals each containing its own index ``j``, over consecutive
  ``j``, is an interval, which is why the form is closed under composition.)
* ``"sparse"`` - boolean sparse products ``R_l = (M_l \\lor I) R_{l-1}`` (any mask,
  moderate ``n``).
* :func:`reach_networkx` - descendants in the explicit layered DiGraph (reference for tests).

Closed forms (:func:`.coverage.closed_form_span`): a causal window of ``W`` keys stacked ``L`` times
spans ``L (W - 1) + 1`` tokens; dilation ``d`` stretches it to ``L d (W - 1) + 1`` (but
only ``L (W - 1) + 1`` of them, one residue class mod ``d``, are reached).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ..errors import InvalidArgument
from .masks import Dilated, Mask, Window

__all__ = [
    "IntervalReach",
    "reach_intervals",
    "reach_networkx",
    "reach_residues",
    "reach_sparse",
    "stack",
]

#: Largest ``n`` for the sparse boolean method (the reach matrix can become dense).
MAX_SPARSE_N = 8192
#: Largest estimated work (multiply-adds) of one sparse boolean product.
MAX_SPARSE_WORK = 3e8


def stack(masks: Mask | Sequence[Mask], layers: int) -> list[Mask]:
    """The per-layer masks: ``masks`` cycled over ``layers`` layers (layer 1 first)."""
    if isinstance(masks, Mask):
        masks = [masks]
    masks = list(masks)
    if not masks:
        raise InvalidArgument("need at least one mask; pass e.g. --mask causal")
    if not isinstance(layers, int | np.integer) or layers < 0:
        raise InvalidArgument(f"layers must be a non-negative integer, got layers={layers!r}")
    return _Cycle(tuple(masks), int(layers))  # type: ignore[return-value]


class _Cycle(Sequence):
    """``masks`` cycled over ``layers`` layers, without a list of ``layers`` entries (10**15 is fine)."""

    def __init__(self, masks: tuple[Mask, ...], layers: int) -> None:
        self.masks, self.layers = masks, layers

    def __len__(self) -> int:
        return self.layers

    def __getitem__(self, k):  # type: ignore[no-untyped-def, override]
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.layers))]
        if not -self.layers <= k < self.layers:
            raise IndexError(k)
        return self.masks[k % len(self.masks)]

    def __iter__(self):  # type: ignore[no-untyped-def]
        for k in range(self.layers):
            yield self.masks[k % len(self.masks)]


def _period(masks: Sequence[Mask]) -> int:
    """The shortest period of the layer sequence (by spec): a state that repeats after it is final."""
    if isinstance(masks, _Cycle):
        specs = [m.spec for m in masks.masks]
    else:
        specs = [m.spec for m in masks]
    for p in range(1, len(specs) + 1):
        if all(specs[i] == specs[i - p] for i in range(p, len(specs))):
            return p
    return max(len(specs), 1)


# ------------------------------------------------------------------ interval arithmetic
@dataclass(frozen=True)
class IntervalReach:
    """Reach sets ``[0, p_i) U [lo_i, hi_i]`` of every position ``i`` (int64 arrays)."""

    p: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def counts(self) -> np.ndarray:
        """Number of input positions reaching each output position."""
        overlap = np.clip(np.minimum(self.p, self.hi + 1) - self.lo, 0, None)
        return self.p + (self.hi - self.lo + 1) - overlap

    def first(self) -> np.ndarray:
        """Smallest reached input position (0 when a sink/global prefix is reached)."""
        return np.where(self.p > 0, 0, self.lo)

    def to_dense(self) -> np.ndarray:
        """Boolean ``(n, n)`` matrix (for tests at small ``n``)."""
        n = self.p.size
        j = np.arange(n)[None, :]
        return (j < self.p[:, None]) | ((j >= self.lo[:, None]) & (j <= self.hi[:, None]))


def _is_sorted(x: np.ndarray) -> bool:
    return bool(np.all(x[1:] >= x[:-1])) if x.size > 1 else True


def _range_reduce(vals: np.ndarray, a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    """``op(vals[a_i..b_i])`` for every ``i``: O(1) when monotone, else a sparse table."""
    if _is_sorted(vals):
        return vals[a] if op == "min" else vals[b]
    ufunc = np.minimum if op == "min" else np.maximum
    n = vals.size
    table = [vals]
    k = 1
    while 2 * k <= n:
        prev = table[-1]
        table.append(ufunc(prev[: prev.size - k], prev[k:]))
        k *= 2
    length = b - a + 1
    lev = np.floor(np.log2(length)).astype(np.int64)
    out = np.empty_like(a)
    for level in np.unique(lev):
        idx = lev == level
        t = table[level]
        out[idx] = ufunc(t[a[idx]], t[b[idx] - (1 << level) + 1])
    return out


def _step(state: IntervalReach, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> IntervalReach:
    """One more layer with key sets ``[0, s_i) U [a_i, b_i]`` on top of ``state``."""
    lo = _range_reduce(state.lo, a, b, "min")
    hi = _range_reduce(state.hi, a, b, "max")
    if not s.any() and not state.p.any():  # no sink/global prefix anywhere: intervals only
        return IntervalReach(state.p, lo, hi)
    p = _range_reduce(state.p, a, b, "max")
    if np.any(s > 0):
        pref = np.maximum.accumulate(np.maximum(state.hi + 1, state.p))
        p = np.maximum(p, np.where(s > 0, pref[np.maximum(s - 1, 0)], 0))
    merge = p >= lo  # [0, p) touches [lo, hi]: the union is one interval [0, max(hi, p-1)]
    hi = np.where(merge, np.maximum(hi, p - 1), hi)
    lo = np.where(merge, 0, lo)
    p = np.where(merge, 0, p)
    return IntervalReach(p, lo, hi)


def _identity(n: int) -> IntervalReach:
    i = np.arange(n, dtype=np.int64)
    return IntervalReach(np.zeros(n, dtype=np.int64), i.copy(), i.copy())


def _intervals_of(mask: Mask, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    iv = mask.intervals(n)
    if iv is None:
        raise InvalidArgument(f"mask {mask.spec!r} is not interval-representable; use method='sparse'")
    return iv


def reach_intervals(masks: Sequence[Mask], n: int) -> IntervalReach:
    """Exact reach of a layer stack by interval arithmetic (see module docstring).

    Raises
    ------
    InvalidArgument
        If a layer's key sets are not of the interval form (e.g. dilated, ``d > 1``).
    """
    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    state = _identity(n)
    period = _period(masks)
    previous = state
    for k, mask in enumerate(masks):
        if mask.spec not in cache:
            cache[mask.spec] = _intervals_of(mask, n)
        state = _step(state, *cache[mask.spec])
        if (k + 1) % period == 0:  # a whole cycle left the reach unchanged: every further layer does too
            if all(
                np.array_equal(a, b)
                for a, b in ((state.p, previous.p), (state.lo, previous.lo), (state.hi, previous.hi))
            ):
                break
            previous = state
    return state


def _uniform_dilation(masks: Sequence[Mask]) -> int | None:
    """The common dilation ``d > 1`` when every layer is a dilated mask with it, else None."""
    ds = {m.dilation for m in masks if isinstance(m, Dilated)}
    if masks and len(ds) == 1 and all(isinstance(m, Dilated) for m in masks):
        d = ds.pop()
        return d if d > 1 else None
    return None


def reach_residues(masks: Sequence[Mask], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact reach of a stack of dilated masks sharing one dilation ``d``.

    Positions ``r, r + d, r + 2d, ...`` never mix with other residues; on each residue class
    a dilated mask *is* a window of ``W`` keys, so the interval method applies per class.
    Returns per-position ``(count, first, last)`` reached input positions.
    """
    if not masks:  # zero layers: every position reaches only itself
        i = np.arange(n, dtype=np.int64)
        return np.ones(n, dtype=np.int64), i, i.copy()
    d = _uniform_dilation(masks)
    if d is None:
        raise InvalidArgument("reach_residues needs dilated masks sharing one dilation d > 1")
    count = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    for r in range(min(d, n)):
        pos = np.arange(r, n, d)
        windows = [Window(m.window, m.is_causal) for m in masks]  # type: ignore[attr-defined]
        sub = reach_intervals(windows, pos.size)
        count[pos] = sub.counts()
        first[pos] = r + d * sub.first()
        last[pos] = r + d * sub.hi
    return count, first, last


# ---------------------------------------------------------------------- sparse / graph
def reach_sparse(masks: Sequence[Mask], n: int) -> sp.csr_matrix:
    """Exact reach ``R[i, j]`` (input ``j`` reaches output ``i``) by boolean products.

    .. math:: R_0 = I, \\qquad R_l = (M_l \\lor I)\\, R_{l-1}.
    """
    if n > MAX_SPARSE_N:
        raise InvalidArgument(
            f"n={n} is too large for the sparse reach method (max {MAX_SPARSE_N}); "
            "use interval-representable masks or a smaller --context"
        )
    eye = sp.identity(n, dtype=bool, format="csr")
    reach = eye
    cache: dict[str, sp.csr_matrix] = {}
    for mask in masks:
        if mask.spec not in cache:
            cache[mask.spec] = (mask.keys(n) + eye).astype(bool).tocsr()
        m = cache[mask.spec]
        work = float(m.nnz) / n * reach.nnz
        if work > MAX_SPARSE_WORK:
            raise InvalidArgument(
                f"sparse reach of {mask.spec!r} at n={n} needs ~{work:.2g} operations per layer "
                f"(> {MAX_SPARSE_WORK:.0e}); use a smaller --context"
            )
        reach = (m @ reach).astype(bool).tocsr()
    return reach


def reach_networkx(masks: Sequence[Mask], n: int) -> np.ndarray:
    """Reference: reach by graph search in the explicit layered DiGraph (small ``n``).

    Nodes ``(l, j)``; edges ``(l-1, j) -> (l, i)`` when layer ``l`` lets ``i`` attend
    ``j`` or ``i == j`` (residual).  Returns a dense boolean ``(n, n)`` matrix.
    """
    g = nx.DiGraph()
    g.add_nodes_from((0, j) for j in range(n))
    for layer, mask in enumerate(masks, start=1):
        m = mask.keys(n).tocoo()
        g.add_edges_from(((layer - 1, int(j)), (layer, int(i))) for i, j in zip(m.row, m.col, strict=True))
        g.add_edges_from(((layer - 1, j), (layer, j)) for j in range(n))
    top = len(masks)
    out = np.zeros((n, n), dtype=bool)
    for j in range(n):
        for layer, i in nx.descendants(g, (0, j)) | {(0, j)}:
            if layer == top:
                out[i, j] = True
    return out
