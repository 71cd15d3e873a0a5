"""The JoMA gradient flow derived once in index form, for any number of tokens.

Role: the symbolic side of large-``M`` numerics.  Expanding the softmax block symbol by
symbol costs minutes near ``M = 20`` and is infeasible at ``M = 10^4``; here the loss is
written with :class:`sympy.IndexedBase` objects and :class:`sympy.Sum` over symbolic sizes
``M, K, N``, differentiated by SymPy (which produces Kronecker deltas), and normalised by
two exact rewrite rules:

.. math::

    \\sum_{j=1}^{M} \\delta_{ij}\\, a_j = a_i \\quad (1 \\le i \\le M), \\qquad
    \\sum_j c\\, a_j = c \\sum_j a_j \\quad (c \\text{ free of } j).

The result is one expression per state block (``z[i]``, ``v[c, i]``, ``vm[c]``) with free
indices, which :mod:`theory.numeric.indexed_print` prints as vectorised NumPy (einsum and
broadcasting).  Model: Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535), sec. 3, with
orthonormal embeddings and one query (the same definitions as
:func:`theory.models.joma_block`, whose per-symbol flow the golden tests compare against).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import ModelError, UnknownNameError
from ..models.activations import activation as _activation
from ..models.joma_terms import INDEX, SIZES, index_loss

__all__ = ["IndexedFlow", "collapse", "joma_indexed"]

# sizes and index symbols (integers), shared with the model definition; free indices: i (token), c (hidden node)
M, K, N = SIZES
n, k, l, j, i, c = INDEX
SIZE_OF = {n: N, k: K, l: M, j: M, i: M, c: K}


@dataclass(frozen=True)
class IndexedFlow:
    """The JoMA gradient flow in index form.

    Attributes
    ----------
    name : str
        Model name (``joma-softmax``, ...), as :func:`theory.models.joma_block` names it.
    blocks : tuple of (str, tuple of sympy.Symbol, sympy.Expr)
        ``(state block, free indices, time derivative)``: ``("v", (c, i), ...)``,
        ``("vm", (c,), ...)``, ``("z", (i,), ...)``.  State order: for each hidden node
        ``c`` the ``M`` entries ``v[c, :]`` then ``vm[c]``; then ``z[:]`` (the order of
        :func:`theory.models.joma_block`).
    data : tuple of str
        Data arrays and their index symbols: ``x[n, l]`` and ``y[k, n]`` or ``g[k, n]``.
    constants : tuple of sympy.Symbol
        ``T, eta_w, eta_z``.
    loss : sympy.Expr
        The loss in index form.
    options : dict
        The construction options.
    quantity : sympy.Expr
        The catalogue quantity of this attention in index form, free index ``i``
        (``bbar[i]``: the data array :math:`\\bar b` for softmax); golden-tested against the
        catalogue entry ``quantity_name`` expanded at small sizes.
    quantity_name : str
    """

    name: str
    blocks: tuple[tuple[str, tuple[sp.Symbol, ...], sp.Expr], ...]
    data: tuple[tuple[str, tuple[sp.Symbol, ...]], ...]
    constants: tuple[sp.Symbol, ...]
    loss: sp.Expr
    options: dict
    quantity: sp.Expr
    quantity_name: str


def _split_delta(e: sp.Expr, var: sp.Symbol) -> tuple[list[tuple[sp.Expr, sp.Expr]], sp.Expr]:
    """Write ``e = sum_t coeff_t * delta(var, other_t) + rest`` without expanding products."""
    if not any(isinstance(d, sp.KroneckerDelta) and var in d.free_symbols for d in e.atoms(sp.KroneckerDelta)):
        return [], e
    if isinstance(e, sp.KroneckerDelta):
        a, b = e.args
        return [(b if a == var else a, sp.Integer(1))], sp.Integer(0)
    if isinstance(e, sp.Add):
        deltas, rest = [], []
        for arg in e.args:
            d, r = _split_delta(arg, var)
            deltas += d
            rest.append(r)
        return deltas, sp.Add(*rest)
    if isinstance(e, sp.Mul):
        holders = [f for f in e.args if _split_delta(f, var)[0]]
        if len(holders) == 1:
            others = sp.Mul(*(f for f in e.args if f is not holders[0]))
            d, r = _split_delta(holders[0], var)
            return [(o, others * cf) for o, cf in d], others * r
        return _split_delta(sp.expand(e, deep=False), var) if len(holders) > 1 else ([], e)
    raise ModelError(f"cannot sum a Kronecker delta inside {type(e).__name__}; expand the loss")


def _hoist(body: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """:math:`\\sum_{var} body` with factors free of ``var`` moved outside the sum."""
    if var not in body.free_symbols:
        return body * (hi - lo + 1)
    if isinstance(body, sp.Add):
        return sp.Add(*(_hoist(t, var, lo, hi) for t in body.args))
    factors = sp.Mul.make_args(body)
    inner = sp.Mul(*(f for f in factors if var in f.free_symbols))
    outer = sp.Mul(*(f for f in factors if var not in f.free_symbols))
    return outer * sp.Sum(inner, (var, lo, hi))


def _sum_one(body: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """Normalise :math:`\\sum_{var=lo}^{hi} body` (body already normalised)."""
    deltas, rest = _split_delta(body, var)
    # sum_var coeff * delta(var, other) = coeff[var := other]; other ranges over lo..hi too
    picked = [cf.xreplace({var: other}) for other, cf in deltas]
    return sp.Add(*picked) + (_hoist(rest, var, lo, hi) if rest != 0 else 0)


def collapse(expr: sp.Expr) -> sp.Expr:
    """Apply the two rewrite rules bottom-up until no Kronecker delta sits inside a sum."""
    if not expr.args:
        return expr
    if isinstance(expr, sp.Sum):
        body = collapse(expr.function)
        for var, lo, hi in expr.limits:  # innermost first
            body = _sum_one(body, var, lo, hi)
        return body
    if isinstance(expr, sp.Indexed):
        return expr
    return expr.func(*(collapse(a) for a in expr.args))


def joma_indexed(
    *,
    attention: str = "softmax",
    activation: str = "tanh",
    loss: str | None = "squared",
    layernorm: bool = False,
) -> IndexedFlow:
    """Derive the JoMA gradient flow in index form (any ``M``, ``K``, ``N``).

    Parameters
    ----------
    attention : {"linear", "exp", "softmax"}
    activation : str
        A concrete activation of :data:`theory.models.ACTIVATIONS`.
    loss : {"squared", None}
        ``"squared"`` with targets ``y[k, n]``, or ``None``: fixed back-propagated gradients
        ``g[k, n]`` (the surrogate loss :math:`-\\frac1N\\sum g\\,h`).
    layernorm : bool
        :math:`f / \\|f\\|` with :math:`\\|f\\|^2 = \\sum_l b_l^2 + 1` (orthonormal embeddings).

    Returns
    -------
    IndexedFlow
    """
    if attention not in ("linear", "exp", "softmax"):
        raise UnknownNameError(f"unknown attention {attention!r}; expected one of: linear, exp, softmax")
    if activation is None:
        raise ModelError("the index form needs a concrete activation (e.g. activation='tanh')")
    phi = _activation(activation)
    if loss not in ("squared", None):
        raise UnknownNameError(f"unknown loss {loss!r}; expected 'squared' or none")
    z, v, vm, x = (sp.IndexedBase(s, real=True) for s in ("z", "v", "vm", "x"))
    T, eta_w, eta_z = (sp.Symbol(s, positive=True) for s in ("T", "eta_w", "eta_z"))
    target = ("y", (k, n)) if loss == "squared" else ("g", (k, n))
    arrays = {"z": z, "v": v, "vm": vm, "x": x, target[0]: sp.IndexedBase(target[0], real=True)}
    total = index_loss(attention, phi, arrays, T, loss=loss, layernorm=layernorm)
    blocks = (
        ("v", (c, i), -eta_w * collapse(total.diff(v[c, i]))),
        ("vm", (c,), -eta_w * collapse(total.diff(vm[c]))),
        ("z", (i,), -eta_z * collapse(total.diff(z[i]))),
    )
    for name, _, e in blocks:
        if e.has(sp.KroneckerDelta):
            raise ModelError(f"index-form derivation left a Kronecker delta in block {name!r}")
    r = eta_z / eta_w
    sq = sp.Sum(v[k, i] ** 2, (k, 1, K))
    if attention == "linear":
        quantity, qname = z[i] ** 2 - r * sq, "joma-linear"
    elif attention == "exp":
        quantity, qname = z[i] - r / (2 * T) * sq, "joma-exp"
    else:
        bbar = sp.IndexedBase("bbar", positive=True)
        norms = sp.Sum(sp.Sum(v[k, l] ** 2, (l, 1, M)), (k, 1, K))
        quantity, qname = z[i] - r / (2 * T) * (sq - norms * bbar[i]), "joma-softmax-conditional"
    name = f"joma-{attention}" + ("-ln" if layernorm else "")
    return IndexedFlow(
        name=name,
        blocks=blocks,
        data=(("x", (n, l)), target),
        constants=(T, eta_w, eta_z),
        loss=total,
        options={"attention": attention, "activation": activation, "loss": loss, "layernorm": layernorm},
        quantity=quantity,
        quantity_name=qname,
    )
