"""Attention maps: validation, the ``.npz`` layout, and synthetic maps within a mask.

Role: the input stage of the effective-receptive-field tools (rollout, flow).  An attention
stack is a float array ``attn`` of shape ``(L, H, n, n)`` (layers, heads, query, key) or
``(L, n, n)`` (heads already merged), every row a probability distribution over keys:
``attn[l, h, i, :] >= 0`` and sums to 1 within ``ROW_SUM_TOL``.

``.npz`` layout read by :func:`load_attention_npz` (and written by :func:`save_attention_npz`):

* ``attn`` - required, ``(L, H, n, n)`` or ``(L, n, n)`` float array as above;
* ``tokens`` - optional, ``(n,)`` strings, kept for display.

Synthetic maps (:func:`synthetic_attention`) put all mass inside a mask:

* ``uniform`` - each query spreads its mass evenly over its allowed keys;
* ``decay`` - weight proportional to ``exp(-|i - j| / tau)`` over allowed keys;
* ``peaked`` - a fraction ``peak`` on the nearest earlier allowed key (previous token,
  or itself at position 0), the rest uniform over allowed keys;
* ``random`` - Dirichlet-like random rows (``rng.random(...) ** 3``) within the mask.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .._budget import check as check_budget
from .._config import check_seed
from .._io import atomic_savez, load_npz
from ..errors import InvalidArgument
from .masks import Mask

__all__ = [
    "ROW_SUM_TOL",
    "AttentionMapError",
    "AttentionStack",
    "load_attention_npz",
    "merge_heads",
    "save_attention_npz",
    "synthetic_attention",
    "validate_attention",
]

#: Rows must sum to 1 within this (float32 softmax outputs of real models are ~1e-6 off).
ROW_SUM_TOL = 1e-4

SYNTHETIC_KINDS = ("uniform", "decay", "peaked", "random")


class AttentionMapError(InvalidArgument):
    """An attention array has the wrong shape, sign, or row sums."""


@dataclass(frozen=True)
class AttentionStack:
    """Validated attention of ``L`` layers: ``attn`` is ``(L, H, n, n)``; ``tokens`` optional."""

    attn: np.ndarray
    tokens: tuple[str, ...] | None = None

    @property
    def layers(self) -> int:
        """Number of layers ``L``."""
        return int(self.attn.shape[0])

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self.attn.shape[-1])


def validate_attention(attn: np.ndarray, *, name: str = "attn") -> np.ndarray:
    """Check shape, finiteness, sign and row sums; return float64 ``(L, H, n, n)``.

    Raises
    ------
    AttentionMapError
        Naming the first offending layer / head / row.
    """
    a = np.asarray(attn)
    if a.dtype.kind not in "fiu":
        raise AttentionMapError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if a.ndim not in (3, 4) or a.shape[-1] != a.shape[-2] or 0 in a.shape:
        raise AttentionMapError(
            f"{name} must have shape (L, H, n, n) or (L, n, n) with square non-empty maps, got {a.shape}"
        )
    if a.ndim == 3:
        a = a[:, None]
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise AttentionMapError(f"{name} contains NaN or inf")
    if np.any(a < 0):
        where = tuple(int(x) for x in np.argwhere(a < 0)[0])
        raise AttentionMapError(f"{name} has a negative weight at (layer, head, query, key)={where}")
    dev = np.abs(a.sum(axis=-1) - 1.0)
    if np.any(dev > ROW_SUM_TOL):
        where = tuple(int(x) for x in np.argwhere(dev > ROW_SUM_TOL)[0])
        raise AttentionMapError(
            f"{name} is not row-stochastic: row (layer, head, query)={where} sums to "
            f"{a[where].sum():.6g} (tolerance {ROW_SUM_TOL}); pass softmax outputs over keys"
        )
    return a


def merge_heads(attn: np.ndarray | AttentionStack) -> np.ndarray:
    """Average heads: ``(L, H, n, n) -> (L, n, n)`` (Abnar & Zuidema 2020 do the same).

    An :class:`AttentionStack` stands for its ``attn`` array.
    """
    a = np.asarray(attn.attn if isinstance(attn, AttentionStack) else attn, dtype=np.float64)
    return a.mean(axis=1) if a.ndim == 4 else a


def load_attention_npz(path: str | os.PathLike[str]) -> AttentionStack:
    """Load and validate an attention ``.npz`` (layout in the module docstring)."""
    p = os.fspath(path)
    try:  # headers, sizes and zip ratios are checked before any data is read
        arrays = load_npz(p, what="attention file")
    except InvalidArgument as exc:
        raise AttentionMapError(str(exc)) from exc
    if "attn" not in arrays:
        raise AttentionMapError(f"{p!r} has arrays {sorted(arrays)} but no 'attn' (shape (L, H, n, n))")
    attn = arrays["attn"]
    tokens = tuple(str(t) for t in arrays["tokens"]) if "tokens" in arrays else None
    a = validate_attention(attn, name=f"{os.path.basename(p)}:attn")
    if tokens is not None and len(tokens) != a.shape[-1]:
        raise AttentionMapError(f"{p!r}: 'tokens' has {len(tokens)} entries, maps have n={a.shape[-1]}")
    return AttentionStack(a, tokens)


def save_attention_npz(path: str | os.PathLike[str], stack: AttentionStack) -> None:
    """Write ``stack`` atomically in the documented layout."""
    arrays = {"attn": stack.attn}
    if stack.tokens is not None:
        arrays["tokens"] = np.array(stack.tokens)
    atomic_savez(path, arrays)


def synthetic_attention(
    mask: Mask,
    n: int,
    layers: int,
    *,
    kind: str = "decay",
    heads: int = 1,
    tau: float = 8.0,
    peak: float = 0.8,
    seed: int = 0,
) -> AttentionStack:
    """Row-stochastic attention with all mass inside ``mask`` (kinds in module docstring)."""
    if kind not in SYNTHETIC_KINDS:
        raise InvalidArgument(f"unknown synthetic attention {kind!r}; expected one of {SYNTHETIC_KINDS}")
    if n < 1 or layers < 1 or heads < 1:
        raise InvalidArgument(f"need n, layers, heads >= 1, got n={n}, layers={layers}, heads={heads}")
    if n > 4096:
        raise InvalidArgument(f"synthetic maps are dense (L, H, n, n); n={n} > 4096 is too large")
    check_budget(
        "synthetic attention maps",
        memory=8.0 * layers * heads * n * n + 24.0 * n * n,
        detail=f"dense (L, H, n, n) = ({layers}, {heads}, {n}, {n}) float64",
        reduce="--layers, --heads or --n",
    )
    check_seed(seed)
    if tau <= 0 or not 0 <= peak <= 1:
        raise InvalidArgument(f"need tau > 0 and 0 <= peak <= 1, got tau={tau}, peak={peak}")
    allowed = mask.keys(n).toarray() | np.eye(n, dtype=bool)
    i = np.arange(n)
    dist = np.abs(i[:, None] - i[None, :]).astype(np.float64)
    rng = np.random.default_rng(seed)
    out = np.empty((layers, heads, n, n))
    for layer in range(layers):
        for h in range(heads):
            if kind == "uniform":
                w = allowed.astype(np.float64)
            elif kind == "decay":
                w = np.where(allowed, np.exp(-dist / tau), 0.0)
            elif kind == "random":
                w = np.where(allowed, rng.random((n, n)) ** 3 + 1e-12, 0.0)
            else:
                uni = allowed / allowed.sum(axis=1, keepdims=True)
                prev = np.where(allowed & (i[None, :] <= i[:, None]), i[None, :], -1).max(axis=1)
                spike = np.zeros((n, n))
                spike[i, np.maximum(prev, 0)] = 1.0
                w = peak * spike + (1 - peak) * uni
            out[layer, h] = w / w.sum(axis=1, keepdims=True)
    return AttentionStack(out)
