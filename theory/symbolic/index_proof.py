"""Proofs of the JoMA identities for symbolic sizes M, K, N (index form).

Role: lift the catalogue's finite-size proofs to *every* size.  The JoMA flow is derived
once in index form (:mod:`theory.symbolic.indexed`: :class:`sympy.IndexedBase` entries,
:class:`sympy.Sum` over symbolic ``M, K, N``, Kronecker deltas collapsed), here with an
arbitrary activation :math:`\\phi` and arbitrary back-propagated gradients :math:`g_{kn}`
(so the result holds for every activation and loss).  A claimed identity
:math:`L_i = R_i` with free token index :math:`i` is proved by a *sum normal form*:

1. every bound index gets a fresh name (:math:`\\alpha`-conversion);
2. sums in polynomial position are pulled outwards, products of sums become double sums
   (:math:`c\\sum_a f_a = \\sum_a c f_a`, :math:`\\sum_a f_a\\sum_b h_b = \\sum_{a,b} f_a h_b`:
   linearity of finite sums with constant limits);
3. sums in non-polynomial position (denominators, arguments of :math:`\\phi'`) are kept as
   atoms, in a canonical form (factors free of the index hoisted, bound indices renamed);
4. the summand is split into monomials; in each monomial, bound indices it does not use are
   summed out (:math:`\\sum_{a=1}^{M} c = Mc`) and the others are renamed canonically
   (any bijection between indices of the same range is allowed: finite sums commute);
5. monomials with the same index ranges are added under one sum
   (:math:`\\sum_a f_a + \\sum_a h_a = \\sum_a (f_a + h_a)`).

The difference :math:`L_i - R_i` is then :math:`\\sum_s \\sum_{\\text{indices of } s} D_s`
and it is proved zero when every summand :math:`D_s` is identically zero as an expression in
independent symbols (atoms and array entries such as :math:`x_{n,l}`, :math:`x_{n,i}`
replaced by free symbols: an identity in independent symbols stays true for every
specialisation, e.g. :math:`l = i`).  Every step is an equality, so ``True`` is a proof for
all :math:`M, K, N \\ge 1`; ``False`` only means the procedure did not close it.

Model: Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535), Theorem 1.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sympy as sp

from ..errors import ExpressionError, UnknownNameError
from ..models.activations import DPHI, PHI
from ..models.activations import activation as _activation
from ..models.joma_terms import fresh_index, index_attention_weight, index_pre_activation
from .indexed import K, M, N, c, collapse, i, joma_indexed, k, n
from .zero import is_identically_zero

__all__ = [
    "IndexClaim",
    "T",
    "attention_weight",
    "bbar",
    "claims",
    "eta_w",
    "eta_z",
    "fresh_index",
    "g_dphi",
    "general_proof",
    "index_flow",
    "index_time_derivative",
    "mean",
    "sums_equal",
    "v",
    "z",
]

z, v, vm, x, g = (sp.IndexedBase(s, real=True) for s in ("z", "v", "vm", "x", "g"))
bbar = sp.IndexedBase("bbar", positive=True)
T, eta_w, eta_z = (sp.Symbol(s, positive=True) for s in ("T", "eta_w", "eta_z"))
_STATE = {"z": z, "v": v, "vm": vm}
_ARRAYS = {"z": z, "v": v, "vm": vm, "x": x}
_SIZES = (M, K, N)
#: names this module gives to bound indices (fresh, canonical) and to opaque atoms
_RESERVED = re.compile(r"^_(f\d+|s\d+|b\d+_\d+|A\d+|X\d+|eps|dot_.*)$")


def _fresh() -> sp.Symbol:
    return fresh_index()


# ---------------------------------------------------------------- the flow, arbitrary phi and loss


def _b(attention: str, nn: sp.Expr, idx: sp.Expr) -> sp.Expr:
    """Attention weight :math:`b_{n,idx}` (the model's definition, fresh normaliser index)."""
    return index_attention_weight(attention, x, z, T, nn, idx, _fresh())


def _pre(attention: str, kk: sp.Expr, nn: sp.Expr) -> sp.Expr:
    """Pre-activation :math:`v_k^\\top b_n + v_{m,k}` (the model's definition)."""
    return index_pre_activation(attention, _ARRAYS, T, kk, nn)


def _dphi_of_subs(e: sp.Expr) -> sp.Expr:
    """``Subs(Derivative(phi(xi), xi), xi, a)`` -> ``dphi(a)`` (the same value, named)."""

    def is_dphi(s: sp.Basic) -> bool:
        return isinstance(s, sp.Subs) and s.expr == sp.Derivative(PHI(s.variables[0]), s.variables[0])

    return e.replace(is_dphi, lambda s: DPHI(s.point[0]))


def _dphi(activation: str | None) -> Callable[[sp.Expr], sp.Expr]:
    """:math:`\\phi'(a)`: the undefined ``dphi(a)``, or the concrete activation's derivative."""
    if activation is None:
        return DPHI
    phi = _activation(activation)
    u = sp.Dummy("u")
    d = sp.diff(phi(u), u)
    return lambda a: d.xreplace({u: a})


@cache
def index_flow(attention: str, activation: str | None = None) -> dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]]:
    """The index-form JoMA flow with arbitrary gradients :math:`g` (every loss).

    With ``activation=None`` (arbitrary :math:`\\phi`) the loss is the surrogate
    :math:`-\\frac1N\\sum_{n,k} g_{kn}\\,\\phi(v_k^\\top b_n + v_{m,k})`, whose gradient equals
    every loss's gradient when :math:`g_{kn} = -N\\,\\partial\\ell/\\partial h_{kn}`; it is
    differentiated by SymPy and the Kronecker deltas are collapsed by
    :func:`theory.symbolic.indexed.collapse`.  With a concrete activation the flow is
    :func:`theory.symbolic.indexed.joma_indexed`'s (``loss=None``).

    Returns
    -------
    dict
        ``{"z": ((i,), dz_i/dt), "v": ((c, i), dv_ci/dt)}``.
    """
    if attention not in ("linear", "exp", "softmax"):
        raise UnknownNameError(f"unknown attention {attention!r}; expected one of: linear, exp, softmax")
    if activation is not None:
        blocks = {
            name: (free, e)
            for name, free, e in joma_indexed(attention=attention, activation=activation, loss=None).blocks
        }
        return {"z": blocks["z"], "v": blocks["v"]}
    loss = -sp.Sum(g[k, n] * PHI(_pre(attention, k, n)), (k, 1, K), (n, 1, N)) / N
    return {
        "z": ((i,), _dphi_of_subs(-eta_z * collapse(loss.diff(z[i])))),
        "v": ((c, i), _dphi_of_subs(-eta_w * collapse(loss.diff(v[c, i])))),
    }


# ---------------------------------------------------------------- the sum normal form


def _unique_binders(e: sp.Expr) -> sp.Expr:
    """Give every bound index a fresh name (bottom-up, so inner scopes are renamed first)."""
    if not e.args or isinstance(e, (sp.Indexed, sp.Symbol)):
        return e
    e = e.func(*(_unique_binders(a) for a in e.args))
    if isinstance(e, sp.Sum):
        ren = {lim[0]: fresh_index() for lim in e.limits}
        lims = [(ren[var], lo, hi) for var, lo, hi in e.limits]
        return sp.Sum(e.function.xreplace(ren), *lims)
    return e


def _constant_limits(s: sp.Sum) -> bool:
    return all((lo.free_symbols | hi.free_symbols) <= set(_SIZES) for _, lo, hi in s.limits)


def _terms(e: sp.Expr, depth: int) -> list[tuple[tuple, sp.Expr]]:
    """``e = sum_t sum_{limits_t} summand_t`` with no sum left in polynomial position."""
    if not e.has(sp.Sum):
        return [((), e)]
    if isinstance(e, sp.Add):
        return [t for a in e.args for t in _terms(a, depth)]
    if isinstance(e, sp.Mul):
        out: list[tuple[tuple, sp.Expr]] = [((), sp.Integer(1))]
        for f in e.args:
            ft = _terms(f, depth)
            out = [(l1 + l2, s1 * s2) for l1, s1 in out for l2, s2 in ft]
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 1:
        # f**p = f * f * ... with each copy's bound indices renamed apart
        return _terms(sp.Mul(*(_unique_binders(e.base) for _ in range(int(e.exp))), evaluate=False), depth)
    if isinstance(e, sp.Sum):
        if not _constant_limits(e):
            raise ExpressionError(f"sum limits must involve only the sizes M, K, N and numbers; got {e.limits}")
        return [(tuple(e.limits) + lims, s) for lims, s in _terms(e.function, depth)]
    return [((), _canon_atom(e, depth))]


def _canon_atom(e: sp.Expr, depth: int) -> sp.Expr:
    """Canonical form of an expression in non-polynomial position (its sums become atoms)."""
    if not e.has(sp.Sum):
        return e
    if isinstance(e, sp.Sum):
        return _rebuild_sum(e, depth)
    return e.func(*(_canon_atom(a, depth) for a in e.args))


def _canon_names(limits: tuple, summand: sp.Expr, prefix: str) -> tuple[tuple, sp.Expr]:
    """Drop unused indices (times the range size), rename the rest canonically.

    Indices are ordered by range; among indices of the same range the bijection giving the
    smallest sort key of the summand is chosen (every bijection is a valid renaming).
    """
    used = summand.free_symbols
    for var, lo, hi in limits:
        if var not in used:
            summand = summand * (hi - lo + 1)
    kept = sorted((lim for lim in limits if lim[0] in used), key=lambda t: sp.default_sort_key((t[1], t[2])))
    groups = [list(grp) for _, grp in itertools.groupby(kept, key=lambda t: (t[1], t[2]))]
    names, pos = [], 0
    for grp in groups:
        names.append([sp.Symbol(f"{prefix}{pos + r}", integer=True) for r in range(len(grp))])
        pos += len(grp)
    best = None
    for perms in itertools.product(*(itertools.permutations(grp) for grp in groups)):
        ren = {t[0]: nm for grp, nms in zip(perms, names, strict=True) for t, nm in zip(grp, nms, strict=True)}
        cand = summand.xreplace(ren)
        key = sp.default_sort_key(cand)
        if best is None or key < best[0]:
            lims = tuple(
                (nm, t[1], t[2]) for grp, nms in zip(groups, names, strict=True) for t, nm in zip(grp, nms, strict=True)
            )
            best = (key, lims, cand)
    assert best is not None
    return best[1], best[2]


def _rebuild_sum(s: sp.Sum, depth: int) -> sp.Expr:
    """A sum as an atom: flattened, factors free of its indices hoisted, indices renamed."""
    out = sp.Integer(0)
    for limits, summand in _terms(s, depth + 1):
        for mono in sp.Add.make_args(sp.expand_mul(summand)):
            lims, mono = _canon_names(limits, mono, f"_b{depth}_")
            bound = {lim[0] for lim in lims}
            inner = sp.Mul(*(f for f in sp.Mul.make_args(mono) if f.free_symbols & bound))
            # hoisted factors leave this scope: their own sums are renamed for the outer depth
            outer = _canon_atom(sp.Mul(*(f for f in sp.Mul.make_args(mono) if not f.free_symbols & bound)), depth)
            out += outer * (sp.Sum(inner, *lims) if lims else inner)
    return out


def sum_normal_form(expr: sp.Expr) -> dict[tuple, sp.Expr]:
    """``expr`` as ``{index ranges: summand}``: :math:`\\sum_s \\sum_{\\text{indices}} D_s`.

    Keys are the canonical limits ``((name, lo, hi), ...)``; the summands use the same names.
    """
    groups: dict[tuple, sp.Expr] = {}
    for limits, summand in _terms(_unique_binders(sp.sympify(expr)), 0):
        for mono in sp.Add.make_args(sp.expand_mul(summand)):
            lims, mono = _canon_names(limits, mono, "_s")
            groups[lims] = groups.get(lims, sp.Integer(0)) + mono
    return groups


def _opaque(e: sp.Expr) -> sp.Expr:
    """Sum atoms and array entries -> independent symbols (one per distinct object)."""
    atoms = sorted(e.atoms(sp.Sum), key=sp.default_sort_key)
    e = e.xreplace({a: sp.Symbol(f"_A{r}", real=True) for r, a in enumerate(atoms)})
    entries = sorted(e.atoms(sp.Indexed), key=sp.default_sort_key)
    pos = {sp.Indexed(bbar, *ix.indices) for ix in entries if ix.base == bbar}
    return e.xreplace({ix: sp.Symbol(f"_X{r}", positive=ix in pos, real=True) for r, ix in enumerate(entries)})


def sums_equal(lhs: sp.Expr, rhs: sp.Expr) -> tuple[bool, str]:
    """Prove ``lhs == rhs`` for all sizes by the sum normal form of ``lhs - rhs``.

    Returns
    -------
    (bool, str)
        ``True`` and a one-line account of the index groups when every group's summand is
        identically zero (decided symbolically, never by sampling); ``False`` and the first
        group that did not vanish otherwise (which is not a refutation).

    Examples
    --------
    >>> s, t = sp.symbols("s t", integer=True)
    >>> a = sp.IndexedBase("a")
    >>> sums_equal(sp.Sum(2 * a[s], (s, 1, M)), 2 * sp.Sum(a[t], (t, 1, M)))[0]
    True
    >>> sums_equal(sp.Sum(a[s], (s, 1, M)) ** 2, sp.Sum(a[s] * a[t], (s, 1, M), (t, 1, M)))[0]
    True
    >>> sums_equal(sp.Sum(a[s], (s, 1, M)) ** 2, sp.Sum(a[t] ** 2, (t, 1, M)))[0]
    False
    """
    diff = sp.sympify(lhs) - sp.sympify(rhs)
    clash = sorted(x.name for x in diff.free_symbols if isinstance(x, sp.Symbol) and _RESERVED.match(x.name))
    if clash:
        raise ExpressionError(f"symbol names {clash} are reserved for bound indices here; rename them")
    groups = sum_normal_form(diff)
    done = []
    for lims, summand in sorted(groups.items(), key=lambda kv: sp.default_sort_key(kv[0])):
        test = is_identically_zero(_opaque(summand), samples=2)
        ranges = "(" + ",".join(f"{hi}" for _, _, hi in lims) + ")" if lims else "no sum"
        if not (test.zero and test.method == "symbolic"):
            return False, f"summand over index ranges {ranges} is not identically zero: {summand}"
        done.append(ranges)
    return (
        True,
        f"difference = {len(done)} group(s) of sums over {', '.join(done) or 'nothing'}, each summand identically zero",
    )


# ---------------------------------------------------------------- time derivatives and claims


def _instantiate(rate: tuple[tuple[sp.Symbol, ...], sp.Expr], indices: tuple) -> sp.Expr:
    free, expr = rate
    return _unique_binders(expr).xreplace(dict(zip(free, indices, strict=True)))


def index_time_derivative(q: sp.Expr, flow: dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]]) -> sp.Expr:
    """:math:`\\dot Q = \\frac{d}{d\\epsilon} Q(\\theta + \\epsilon\\dot\\theta)|_{\\epsilon=0}` in index form.

    Every state entry (``z[.]``, ``v[., .]``), bound or free, is shifted by a placeholder
    velocity entry; after differentiating, each placeholder is replaced by its rate (the flow
    block with its free indices replaced, bound indices renamed apart first).
    """
    eps = sp.Symbol("_eps")
    q = _unique_binders(q)
    dots = {name: sp.IndexedBase(f"_dot_{name}", real=True) for name in _STATE}
    shift = {}
    for e in q.atoms(sp.Indexed):
        name = str(e.base)
        if name in _STATE:
            if name not in flow:
                raise UnknownNameError(f"no rate for state block {name!r} in the index-form flow")
            shift[e] = e + eps * dots[name][e.indices]
    chain = sp.diff(q.xreplace(shift), eps).xreplace({eps: 0})
    rates = {
        d: _instantiate(flow[str(d.base).removeprefix("_dot_")], d.indices)
        for d in chain.atoms(sp.Indexed)
        if str(d.base).startswith("_dot_")
    }
    return chain.xreplace(rates)


def mean(body: Callable[[sp.Symbol], sp.Expr]) -> sp.Expr:
    """:math:`\\mathbb E[f] = \\frac1N\\sum_n f_n` over a fresh sample index."""
    nn = fresh_index()
    return sp.Sum(body(nn), (nn, 1, N)) / N


def g_dphi(attention: str, kk: sp.Expr, nn: sp.Expr) -> sp.Expr:
    """:math:`g_{k,n}\\,\\phi'(v_k^\\top b_n + v_{m,k})` in index form."""
    return g[kk, nn] * DPHI(_pre(attention, kk, nn))


def _with_activation(e: sp.Expr, activation: str | None) -> sp.Expr:
    if activation is None:
        return e
    d = _dphi(activation)
    return e.replace(lambda a: isinstance(a, DPHI), lambda a: d(a.args[0]))


def attention_weight(attention: str, nn: sp.Expr, idx: sp.Expr) -> sp.Expr:
    """Attention weight :math:`b_{n,idx}` in index form (public name of the flow's own definition)."""
    return _b(attention, nn, idx)


@dataclass(frozen=True)
class IndexClaim:
    """A claim about the index-form JoMA flow, free token index ``i``, for symbolic ``M, K, N``.

    The theorem record (:class:`theory.theorem.Theorem`) carries it; this module proves it
    without knowing which theorem it belongs to.

    Attributes
    ----------
    attention : {"linear", "exp", "softmax"}
        The flow the claim is about (:func:`index_flow`).
    subject : str
        One line for the ``sizes`` field: ``"dQ/dt = 0"``, ``"z' = the paper's right side"``.
    description : str
        What is proved, in full (plain text).
    rhs : callable
        ``rhs(scale) -> expr``: the claimed right side, its last term multiplied by ``scale``
        (1: the claim; anything else: a wrong claim, the negative control).
    quantity : callable or None
        ``quantity(scale) -> Q_i``: the left side is :math:`\\dot Q_i`; ``None``: the left
        side is the derived :math:`\\dot z_i` itself.
    label : str
        LaTeX name of the quantity (``"Q_i = z_i - ..."``) in the all-sizes derivation.
    """

    attention: str
    subject: str
    description: str
    rhs: Callable[[sp.Expr], sp.Expr]
    quantity: Callable[[sp.Expr], sp.Expr] | None = None
    label: str = "Q_i"


def claims(claim: IndexClaim, *, scale: sp.Expr | int = 1, activation: str | None = None) -> tuple[sp.Expr, sp.Expr]:
    """``(left side, claimed right side)`` of ``claim`` in index form, free index ``i``.

    The left side is derived from the flow (:math:`\\dot z_i`, or :math:`\\dot Q_i`); the right
    side is the claim typed in.  ``scale`` multiplies the *last* term of the claim (see
    :class:`IndexClaim`).  ``activation``: ``None`` for an arbitrary :math:`\\phi`, or a
    concrete name (the flow is then :func:`theory.symbolic.indexed.joma_indexed`'s).
    """
    s_ = sp.sympify(scale)
    q = claim.quantity(s_) if claim.quantity is not None else None
    rhs = claim.rhs(s_)
    flow = index_flow(claim.attention, activation)
    lhs = index_time_derivative(q, flow) if q is not None else flow["z"][1]
    return lhs, _with_activation(rhs, activation)


def general_proof(claim: IndexClaim) -> tuple[bool, str]:
    """Prove ``claim`` for symbolic :math:`M, K, N` (every size at once).

    Returns
    -------
    (bool, str)
        Whether the index-form proof closed, and a one-line description for the catalogue's
        ``sizes`` field.

    Examples
    --------
    >>> r = eta_z / eta_w
    >>> def q(scale):
    ...     kk = fresh_index()
    ...     return z[i] - scale * r / (2 * T) * sp.Sum(v[kk, i] ** 2, (kk, 1, K))
    >>> exp_claim = IndexClaim("exp", "dQ/dt = 0", "", rhs=lambda s: sp.Integer(0), quantity=q)
    >>> general_proof(exp_claim)[0]
    True
    """
    lhs, rhs = claims(claim)
    ok, how = sums_equal(lhs, rhs)
    if not ok:
        return False, f"index-form proof did not close: {how}"
    return True, f"all M, K, N >= 1 by an index-form proof of {claim.subject} (arbitrary phi and loss; {how})"
