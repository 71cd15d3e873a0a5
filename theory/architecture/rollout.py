"""Attention rollout and effective-receptive-field statistics (Abnar & Zuidema, 2020).

Role: turn an attention stack into an input-attribution matrix and summarise how far the
mass travels.  With the residual connection mixed in,

.. math::

    \\hat A_l = \\operatorname{rownorm}\\big(r\\, \\bar A_l + (1 - r) I\\big), \\qquad
    \\tilde A = \\hat A_L \\hat A_{L-1} \\cdots \\hat A_1 ,

where :math:`\\bar A_l` is the head-averaged attention of layer ``l`` (queries in rows) and
``r = 0.5`` as in Abnar & Zuidema (2020), "Quantifying Attention Flow in Transformers",
ACL.  Each :math:`\\hat A_l` is row-stochastic, so every row of the product is too:
row ``i`` of :math:`\\tilde A` is a distribution over inputs for output ``i``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

from ..errors import InvalidArgument
from ..numeric.entropy import entropy
from .attention import AttentionStack, merge_heads, validate_attention

__all__ = [
    "attention_entropy",
    "distance_quantiles",
    "repeated_rollout_row",
    "residual_mix",
    "rollout",
    "rollout_row",
]


def residual_mix(attn: np.ndarray | AttentionStack, *, residual: float = 0.5) -> np.ndarray:
    """Per-layer :math:`\\hat A_l` of shape ``(L, n, n)`` from ``(L, H, n, n)`` or ``(L, n, n)``.

    ``residual`` is the weight ``r`` of attention against the identity (``r = 1`` ignores
    the residual stream, ``r = 0.5`` is Abnar & Zuidema's choice).
    """
    if not 0.0 <= residual <= 1.0:
        raise InvalidArgument(f"residual weight must lie in [0, 1], got residual={residual}")
    if isinstance(attn, AttentionStack):
        attn = merge_heads(attn)
    a = merge_heads(validate_attention(attn))  # shape, finiteness (NaN maps refused), sign, row sums
    n = a.shape[-1]
    mixed = residual * a + (1.0 - residual) * np.eye(n)[None]
    return mixed / mixed.sum(axis=-1, keepdims=True)


@overload
def rollout(attn: np.ndarray | AttentionStack, *, residual: float = 0.5, all_layers: bool = False) -> np.ndarray: ...


@overload
def rollout(attn: Sequence[AttentionStack], *, residual: float = 0.5, all_layers: bool = False) -> list[np.ndarray]: ...


def rollout(
    attn: np.ndarray | AttentionStack | Sequence[AttentionStack],
    *,
    residual: float = 0.5,
    all_layers: bool = False,
) -> np.ndarray | list[np.ndarray]:
    """Attention rollout: ``(n, n)`` product (or ``(L, n, n)`` cumulative products).

    Entry ``[i, j]`` is the share of output ``i`` attributed to input ``j``.  ``attn`` is an
    ``(L, H, n, n)`` / ``(L, n, n)`` array, an :class:`~theory.architecture.AttentionStack`,
    or a list of stacks (what :func:`~theory.architecture.model_attention` and
    :func:`~theory.architecture.minilm_attention` return), giving one rollout per stack.
    """
    if isinstance(attn, list | tuple) and attn and all(isinstance(s, AttentionStack) for s in attn):
        return [rollout(s, residual=residual, all_layers=all_layers) for s in attn]
    mixed = residual_mix(attn, residual=residual)  # type: ignore[arg-type]  # a nested list is an array
    acc = np.eye(mixed.shape[-1])
    outs = []
    for layer in mixed:
        acc = layer @ acc
        outs.append(acc)
    return np.stack(outs) if all_layers else acc


def rollout_row(layers: Sequence[np.ndarray], row: int, *, residual: float = 0.5) -> np.ndarray:
    """Row ``row`` of the rollout, :math:`e_i^\\top \\hat A_L \\cdots \\hat A_1`, in O(L n^2).

    ``layers`` holds each layer's ``(n, n)`` or ``(H, n, n)`` map (layer 1 first); the same
    array may appear many times, so a long stack of one synthetic map costs no memory.
    """
    if not 0.0 <= residual <= 1.0:
        raise InvalidArgument(f"residual weight must lie in [0, 1], got residual={residual}")
    if not layers:
        raise InvalidArgument("need at least one layer")
    n = np.asarray(layers[0]).shape[-1]
    if not 0 <= row < n:
        raise InvalidArgument(f"row must lie in 0..{n - 1}, got row={row}")
    v = np.zeros(n)
    v[row] = 1.0
    mixed_cache: dict[int, np.ndarray] = {}
    for a in reversed(list(layers)):
        key = id(a)
        if key not in mixed_cache:
            mixed_cache[key] = _mixed(a, residual)
        v = v @ mixed_cache[key]
    return v


def _mixed(a: np.ndarray, residual: float) -> np.ndarray:
    """One layer's :math:`\\hat A = \\mathrm{rownorm}(r\\,\\bar A + (1 - r) I)` (heads averaged)."""
    m = np.asarray(a, dtype=np.float64)
    m = m.mean(axis=0) if m.ndim == 3 else m
    m = residual * m + (1.0 - residual) * np.eye(m.shape[-1])
    return m / m.sum(axis=-1, keepdims=True)


def repeated_rollout_row(a: np.ndarray, layers: int, row: int, *, residual: float = 0.5) -> np.ndarray:
    """:func:`rollout_row` of ``layers`` copies of one map, stopping at the fixed point.

    The same stochastic matrix applied again and again converges; once a layer moves no entry
    by more than ``1e-15`` every later layer maps the row to itself (to that precision), so
    ``layers = 10**15`` costs only what convergence costs.
    """
    if layers < 1:
        raise InvalidArgument(f"need at least one layer, got {layers}")
    v = rollout_row([a], row, residual=residual)
    m = _mixed(a, residual)
    for _ in range(1, layers):
        nxt = v @ m
        if np.max(np.abs(nxt - v)) <= 1e-15:
            return nxt
        v = nxt
    return v


def distance_quantiles(
    attribution: np.ndarray,
    qs: tuple[float, ...] = (0.5, 0.9),
    *,
    rows: slice | list[int] | None = None,
) -> dict[str, float]:
    """Distance ``|i - j|`` below which a fraction ``q`` of each output's mass lies.

    Rows are normalised first (flow values need it); the result averages over the output
    rows selected by ``rows`` (default all).  Also returns ``mean_distance``
    (mass-weighted mean ``|i - j|``).
    """
    m = np.asarray(attribution, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidArgument(f"attribution must be a square (n, n) matrix, got {m.shape}")
    if any(not 0 < q <= 1 for q in qs):
        raise InvalidArgument(f"quantiles must lie in (0, 1], got {qs}")
    n = m.shape[0]
    i = np.arange(n)
    sel = i[rows] if rows is not None else i
    m = m[sel]
    sums = m.sum(axis=1, keepdims=True)
    m = np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)
    dist = np.abs(sel[:, None] - i[None, :])
    order = np.argsort(dist, axis=1, kind="stable")
    d_sorted = np.take_along_axis(dist, order, axis=1)
    cum = np.cumsum(np.take_along_axis(m, order, axis=1), axis=1)
    out: dict[str, float] = {}
    k_rows = np.arange(sel.size)
    for q in qs:
        k = np.argmax(cum >= q - 1e-12, axis=1)
        out[f"q{round(q * 100)}"] = float(d_sorted[k_rows, k].mean())
    out["mean_distance"] = float((m * dist).sum(axis=1).mean())
    return out


def attention_entropy(attn: np.ndarray) -> np.ndarray:
    """Mean entropy (nats) of the attention rows of every layer: shape ``(L,)``.

    Heads are kept separate and averaged after the entropy (a merged map would look
    flatter than any head).
    """
    a = np.asarray(attn, dtype=np.float64)
    if a.ndim == 3:
        a = a[:, None]
    return entropy(a, atol=None).mean(axis=(1, 2))  # float32 maps: rows sum to 1 only to ~1e-7
