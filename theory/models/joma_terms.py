"""The JoMA block's definitions, written once for the per-symbol and the index forms.

Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535), sec. 3: for sample :math:`n` with token
frequencies :math:`x_n` and logits :math:`z`,

.. math::

    b_{n,l} = x_{n,l} z_l \\ (\\text{linear}),\\quad
    b_{n,l} = x_{n,l} e^{z_l/T} \\ (\\text{exp}),\\quad
    b_{n,l} = \\frac{x_{n,l} e^{z_l/T}}{\\sum_j x_{n,j} e^{z_j/T}} \\ (\\text{softmax}),

pre-activations :math:`a_{k,n} = \\sum_l v_{k,l} b_{n,l} + v_{m,k}` (divided by
:math:`\\|f_n\\|` with LayerNorm), hidden nodes :math:`h_{k,n} = \\phi(a_{k,n})`, and the loss
:math:`\\frac1{2N}\\sum_{k,n}(h_{k,n} - y_{k,n})^2` or, for an arbitrary loss, the surrogate
:math:`-\\frac1N\\sum_{k,n} g_{k,n} h_{k,n}`.

:func:`attention_weights` and :func:`loss_total` take the sum as a parameter, so the same
lines build the per-symbol model (:func:`theory.models.joma_block`: Python ``sum`` over lists
of symbols) and the index form over symbolic sizes :math:`M, K, N`
(:func:`index_loss`, :func:`index_pre_activation`: :class:`sympy.Sum` over
:class:`sympy.IndexedBase` entries), which the all-sizes prover
(:mod:`theory.symbolic.index_proof`) and the vectorised compiler (:mod:`theory.symbolic.indexed`)
differentiate.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import sympy as sp

from ..errors import UnknownNameError

__all__ = [
    "ATTENTIONS",
    "INDEX",
    "SIZES",
    "attention_numerator",
    "attention_weights",
    "fresh_index",
    "index_attention_weight",
    "index_loss",
    "index_pre_activation",
    "loss_total",
]

ATTENTIONS = ("linear", "exp", "softmax")
#: Symbolic sizes of the index form: tokens, hidden nodes, samples.
SIZES = sp.symbols("M K N", integer=True, positive=True)
M, K, N = SIZES
#: Index symbols of the index form: n (sample), k (hidden node), l, j, i (token), c (hidden node).
INDEX = sp.symbols("n k l j i c", integer=True)
_n, _k, _l, _j, _i, _c = INDEX
_fresh_counter = itertools.count()


def _check(attention: str) -> None:
    if attention not in ATTENTIONS:
        raise UnknownNameError(f"unknown attention {attention!r}; expected one of: {', '.join(ATTENTIONS)}")


def attention_numerator(attention: str, x_l: sp.Expr, z_l: sp.Expr, T: sp.Expr) -> sp.Expr:
    """:math:`x_l z_l` (linear) or :math:`x_l e^{z_l/T}` (exp, softmax numerator)."""
    _check(attention)
    return x_l * z_l if attention == "linear" else x_l * sp.exp(z_l / T)


def attention_weights(
    attention: str, numerators: Sequence[sp.Expr], total: Callable[[Sequence[sp.Expr]], sp.Expr] = sum
) -> list[sp.Expr]:
    """The attention weights :math:`b_l` from their numerators (softmax divides by their sum)."""
    _check(attention)
    if attention != "softmax":
        return list(numerators)
    norm = total(numerators)
    return [u / norm for u in numerators]


def loss_total(h: dict, targets: dict, loss: str | None, n_total: int | sp.Expr) -> sp.Expr:
    """:math:`\\frac{1}{2N}\\sum (h - y)^2` (``loss="squared"``) or :math:`-\\frac1N\\sum g\\,h` (``None``)."""
    if loss is None:
        return -sum(targets[key] * h[key] for key in h) / n_total
    if loss == "squared":
        return sum((h[key] - targets[key]) ** 2 for key in h) / (2 * n_total)
    raise UnknownNameError(f"unknown loss {loss!r}; expected 'squared' or none (arbitrary loss)")


# ----------------------------------------------------------------------------- index form


def fresh_index() -> sp.Symbol:
    """A new bound index (integer symbol) for sums built in index form."""
    return sp.Symbol(f"_f{next(_fresh_counter)}", integer=True)


def index_attention_weight(
    attention: str, x: sp.IndexedBase, z: sp.IndexedBase, T: sp.Expr, n: sp.Expr, idx: sp.Expr, j: sp.Symbol
) -> sp.Expr:
    """:math:`b_{n,idx}` in index form; ``j`` is the bound index of the softmax normaliser."""
    num = attention_numerator(attention, x[n, idx], z[idx], T)
    if attention != "softmax":
        return num
    return num / sp.Sum(attention_numerator(attention, x[n, j], z[j], T), (j, 1, M))


def index_pre_activation(
    attention: str,
    arrays: dict[str, sp.IndexedBase],
    T: sp.Expr,
    k: sp.Expr,
    n: sp.Expr,
    *,
    l: sp.Symbol | None = None,
    j: sp.Symbol | None = None,
    layernorm: bool = False,
) -> sp.Expr:
    """:math:`a_{k,n} = \\sum_l v_{k,l} b_{n,l} + v_{m,k}` (over :math:`\\|f_n\\|` with LayerNorm).

    ``arrays`` holds the IndexedBases ``z, v, vm, x``; ``l`` and ``j`` are the bound indices
    (fresh ones when omitted).  With orthonormal embeddings :math:`\\|f_n\\|^2 = \\sum_l b_{n,l}^2 + 1`.
    """
    l = l if l is not None else fresh_index()
    j = j if j is not None else fresh_index()
    z, v, vm, x = (arrays[s] for s in ("z", "v", "vm", "x"))
    pre = sp.Sum(v[k, l] * index_attention_weight(attention, x, z, T, n, l, j), (l, 1, M)) + vm[k]
    if layernorm:
        pre = pre / sp.sqrt(sp.Sum(index_attention_weight(attention, x, z, T, n, j, l) ** 2, (j, 1, M)) + 1)
    return pre


def index_loss(
    attention: str,
    phi: Callable[[sp.Expr], sp.Expr],
    arrays: dict[str, sp.IndexedBase],
    T: sp.Expr,
    *,
    loss: str | None = "squared",
    layernorm: bool = False,
) -> sp.Expr:
    """The JoMA loss in index form over symbolic :math:`M, K, N`.

    ``loss="squared"``: :math:`\\frac1{2N}\\sum_{n,k}(\\phi(a_{k,n}) - y_{k,n})^2` with
    ``arrays["y"]``; ``None``: :math:`-\\frac1N\\sum_{n,k} g_{k,n}\\phi(a_{k,n})` with ``arrays["g"]``.
    """
    _check(attention)
    pre = index_pre_activation(attention, arrays, T, _k, _n, l=_l, j=_j, layernorm=layernorm)
    if loss == "squared":
        y = arrays["y"]
        return sp.Sum(sp.Sum((phi(pre) - y[_k, _n]) ** 2, (_k, 1, K)), (_n, 1, N)) / (2 * N)
    if loss is None:
        g = arrays["g"]
        return -sp.Sum(sp.Sum(g[_k, _n] * phi(pre), (_k, 1, K)), (_n, 1, N)) / N
    raise UnknownNameError(f"unknown loss {loss!r}; expected 'squared' or none (arbitrary loss)")
