"""Receptive-field report, closed forms, and the number of layers needed to cover a context.

Role: the summary layer over :mod:`.reach` used by the CLI and :mod:`.compare`.

Closed forms (:func:`closed_form_span`): a causal window of ``W`` keys stacked ``L`` times
spans ``L (W - 1) + 1`` tokens; a symmetric one ``2 L (W - 1) + 1``; dilation ``d``
stretches the causal span to ``L d (W - 1) + 1`` (reaching only ``L (W - 1) + 1`` tokens,
one residue class mod ``d``).  Layers to cover ``n`` tokens with a causal window:
``ceil((n - 1) / (W - 1))``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._budget import check as check_budget
from ..errors import InvalidArgument
from .masks import Causal, Dilated, Full, Mask, Window
from .reach import (
    MAX_SPARSE_WORK,
    IntervalReach,
    _identity,
    _intervals_of,
    _step,
    _uniform_dilation,
    reach_intervals,
    reach_residues,
    reach_sparse,
    stack,
)

__all__ = ["ReachReport", "closed_form_span", "layers_to_cover", "receptive_field"]


# ------------------------------------------------------------------------ closed forms
def closed_form_span(mask: Mask, layers: int) -> int | None:
    """Span ``max - min + 1`` of the reach of a far-from-the-edge position, in closed form.

    Causal window ``W``: ``L (W - 1) + 1``; symmetric window: ``2 L (W - 1) + 1``;
    dilated causal: ``L d (W - 1) + 1``.  ``None`` for unbounded masks (full, causal).
    """
    if isinstance(mask, Window):
        return (1 if mask.is_causal else 2) * layers * (mask.width - 1) + 1
    if isinstance(mask, Dilated):
        return (1 if mask.is_causal else 2) * layers * mask.dilation * (mask.window - 1) + 1
    return None


def _covered(rch: IntervalReach, causal: bool) -> bool:
    n = rch.p.size
    target = np.arange(1, n + 1) if causal else np.full(n, n)
    return bool(np.all(rch.counts() >= target))


def layers_to_cover(masks: Mask | Sequence[Mask], n: int, *, max_layers: int = 4096) -> int | None:
    """Fewest layers after which every position reaches its whole (causal) context.

    Covered means position ``i`` reaches all ``j <= i`` for a causal stack, all ``j`` else.
    Uses the closed form ``ceil((n - 1) / (W - 1))`` for a uniform window stack; otherwise
    adds layers one at a time (interval method, or sparse products for ``n <= 2048``).
    ``None`` when the stack never covers (e.g. dilation ``d > 1`` alone reaches one
    residue class; blocks never talk to each other).

    Raises
    ------
    InvalidArgument
        When the answer is not found within the search limit (``max_layers``, capped so
        that the interval search stays ~3e7 element updates) or is too expensive.
    """
    base = [masks] if isinstance(masks, Mask) else list(masks)
    causal = all(m.causal for m in base)
    if n == 1:
        return 0
    if len(base) == 1 and isinstance(base[0], Full | Causal):
        return 1
    if len(base) == 1 and isinstance(base[0], Window) and base[0].width > 1:
        return math.ceil((n - 1) / (base[0].width - 1))
    if _uniform_dilation(base) is not None:
        return None  # position 1 never reaches position 0: different residue classes mod d
    period = len(base)
    if all(m.intervals(min(n, 4)) is not None for m in base):
        ivs = [_intervals_of(m, n) for m in base]
        state = _identity(n)
        prev_counts = state.counts()
        limit = min(max_layers, max(64, int(3e7 // n)))
        for layer in range(1, limit + 1):
            state = _step(state, *ivs[(layer - 1) % period])
            if _covered(state, causal):
                return layer
            if layer % period == 0:
                counts = state.counts()
                if np.array_equal(counts, prev_counts):
                    return None  # a full period added nothing: fixed point, never covers
                prev_counts = counts
        raise InvalidArgument(f"not covered within {limit} layers (search limit at n={n})")
    if n > 2048:
        raise InvalidArgument(f"layers_to_cover: n={n} > 2048 is too large for sparse products")
    eye = sp.identity(n, dtype=bool, format="csr")
    mats = [(m.keys(n) + eye).astype(bool).tocsr() for m in base]
    target = int(n * (n + 1) // 2) if causal else n * n
    reach = eye
    prev = reach.nnz
    for layer in range(1, max_layers + 1):
        m = mats[(layer - 1) % period]
        if float(m.nnz) / n * reach.nnz > MAX_SPARSE_WORK:
            raise InvalidArgument(f"layers_to_cover: sparse products at n={n} are too expensive")
        reach = (m @ reach).astype(bool).tocsr()
        if reach.nnz >= target:
            return layer
        if layer % period == 0:
            if reach.nnz == prev:
                return None
            prev = reach.nnz
    return None


# ---------------------------------------------------------------------------- report
@dataclass(frozen=True)
class ReachReport:
    """Summary of the theoretical receptive field of a stack at context length ``n``."""

    masks: tuple[str, ...]
    layers: int
    n: int
    method: str
    last_count: int
    last_span: int
    min_count: int
    mean_count: float
    closed_form_span: int | None
    layers_to_cover: int | None
    cover_status: str
    seconds: float
    counts_sample: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-able dictionary."""
        return {
            "masks": list(self.masks),
            "layers": self.layers,
            "context": self.n,
            "method": self.method,
            "last_position_reach": self.last_count,
            "last_position_span": self.last_span,
            "min_reach": self.min_count,
            "mean_reach": self.mean_count,
            "closed_form_span": self.closed_form_span,
            "layers_to_cover_context": self.layers_to_cover,
            "cover_status": self.cover_status,
            "seconds": self.seconds,
            "reach_at_positions": {str(k): v for k, v in self.counts_sample.items()},
        }


def receptive_field(masks: Mask | Sequence[Mask], layers: int, n: int, *, method: str = "auto") -> ReachReport:
    """Exact theoretical receptive field of ``layers`` layers of ``masks`` at length ``n``.

    Parameters
    ----------
    masks : Mask or sequence of Mask
        One mask for every layer, or a list cycled over the layers.
    layers, n : int
        Depth and context length.
    method : {"auto", "interval", "residue", "sparse"}
        ``auto`` uses intervals when every mask allows it, residue classes for dilated
        stacks sharing one dilation, else sparse products.
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise InvalidArgument(f"context must be a positive integer, got context={n!r}")
    # interval arithmetic keeps ~8 int64 arrays of length n; the time is not estimated here: the
    # reach stops at its fixed point (usually within a few layers), and the command's time budget
    # stops a run that does not reach it
    check_budget("receptive field", memory=64.0 * n, detail=f"8 arrays of context length {n}", reduce="--context")
    per_layer = stack(masks, layers)
    base = [masks] if isinstance(masks, Mask) else list(masks)
    if method not in ("auto", "interval", "residue", "sparse"):
        raise InvalidArgument(f"unknown reach method {method!r}; expected auto, interval, residue or sparse")
    if method == "auto":
        if all(m.intervals(min(n, 4)) is not None for m in base):
            method = "interval"
        elif _uniform_dilation(base) is not None:
            method = "residue"
        else:
            method = "sparse"
    t0 = time.perf_counter()
    if method == "residue":
        counts, firsts, lasts = reach_residues(per_layer, n)
        first_last, hi_last = int(firsts[-1]), int(lasts[-1])
    elif method == "interval":
        rch = reach_intervals(per_layer, n)
        counts = rch.counts()
        first_last = int(rch.first()[-1])
        hi_last = int(rch.hi[-1])
    else:
        r = reach_sparse(per_layer, n)
        counts = np.asarray(r.sum(axis=1)).ravel().astype(np.int64)
        last_row = r.getrow(n - 1).indices
        first_last, hi_last = int(last_row.min()), int(last_row.max())
    seconds = time.perf_counter() - t0
    try:
        cover = layers_to_cover(base, n)
        cover_status = "never" if cover is None else "covered"
    except InvalidArgument as exc:
        cover, cover_status = None, f"not computed: {exc}"
    cf = closed_form_span(base[0], layers) if len(base) == 1 else None
    sample_at = sorted({0, n // 4, n // 2, (3 * n) // 4, n - 1})
    return ReachReport(
        masks=tuple(m.spec for m in base),
        layers=int(layers),
        n=int(n),
        method=method,
        last_count=int(counts[-1]),
        last_span=hi_last - first_last + 1,
        min_count=int(counts.min()),
        mean_count=float(counts.mean()),
        closed_form_span=cf,
        layers_to_cover=cover,
        cover_status=cover_status,
        seconds=seconds,
        counts_sample={k: int(counts[k]) for k in sample_at},
    )
