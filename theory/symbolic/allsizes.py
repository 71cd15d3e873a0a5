"""The index-form (all sizes) proofs as readable, checked derivations.

Role: give :func:`theory.symbolic.index_proof.general_proof` a LaTeX face.  The JoMA flow in index
form (sums over :math:`k \\le K`, :math:`l \\le M`, :math:`n \\le N` with symbolic sizes) is
shown component by component, with the paper's abbreviations :math:`\\phi'_{k,n}` and
:math:`b_{n,l}`; then the time derivative of the quantity, the flow substituted, the sums
pulled out and the summands of each index group side by side, and the result.  Every step
is checked by the sum normal form (:func:`theory.symbolic.index_proof.sums_equal`), which
decides zero symbolically for every :math:`M, K, N \\ge 1`, never by sampling.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..models.activations import DPHI
from .derivation import Derivation, StepError
from .index_proof import IndexClaim, _b, _pre, claims, index_flow, sum_normal_form, sums_equal
from .indexed import K, M, N, c, i

__all__ = ["add_all_sizes", "pretty_indices", "sums_check"]

z, v, x = (sp.IndexedBase(s, real=True) for s in ("z", "v", "x"))
T, eta_w, eta_z = (sp.Symbol(s, positive=True) for s in ("T", "eta_w", "eta_z"))
PHI_P = sp.IndexedBase("_dphi", real=True)
B = sp.IndexedBase("_b", positive=True)
DOT = {name: sp.IndexedBase(f"_dot_{name}", real=True) for name in ("z", "v")}
_NAMES = {K: ("k", "k'", "k''"), M: ("l", "j", "l'", "j'"), N: ("n", "n'", "n''")}


def sums_check(a: sp.Expr, b: sp.Expr, *, context: str = "") -> str:
    """Checker for index-form steps: ``a == b`` for every size by the sum normal form."""
    ok, how = sums_equal(a, b)
    if not ok:
        raise StepError(f"step {context!r} does not hold for symbolic sizes: {how}")
    return "symbolic"


def pretty_indices(e: sp.Expr, taken: frozenset = frozenset()) -> sp.Expr:
    """Rename bound indices for reading: :math:`k` over :math:`K`, :math:`l, j` over :math:`M`,
    :math:`n` over :math:`N` (primed when nested)."""
    if not e.args or isinstance(e, sp.Indexed):
        return e
    if isinstance(e, sp.Sum):
        used = set(taken) | {s.name for s in e.free_symbols}
        ren, lims = {}, []
        for var, lo, hi in e.limits:
            name = next((nm for nm in _NAMES.get(hi, ()) if nm not in used), var.name)
            used.add(name)
            ren[var] = sp.Symbol(name, integer=True)
            lims.append((ren[var], lo, hi))
        return sp.Sum(pretty_indices(_rename(e.function, ren), frozenset(used)), *lims)
    return e.func(*(pretty_indices(a, taken) for a in e.args), evaluate=False)


def _rename(e: sp.Expr, ren: dict) -> sp.Expr:
    """``e.xreplace(ren)`` that keeps unevaluated sums and products as built."""
    if e in ren:
        return ren[e]
    if not e.args or isinstance(e, sp.Indexed):
        return e.xreplace(ren)
    args = [_rename(a, ren) for a in e.args]
    return e.func(*args, evaluate=False) if isinstance(e, (sp.Add, sp.Mul, sp.Pow)) else e.func(*args)


def _outward(e: sp.Expr) -> sp.Expr:
    """Pull factors free of a sum's index out of it: ``sum_l D f_l = D sum_l f_l``."""
    if not e.args or isinstance(e, sp.Indexed):
        return e
    e = e.func(*(_outward(a) for a in e.args))
    if isinstance(e, sp.Sum):
        bound = {var for var, _, _ in e.limits}
        parts = sp.Mul.make_args(sp.expand(e.function)) if not isinstance(e.function, sp.Add) else ()
        outside = [f for f in parts if not f.free_symbols & bound]
        if outside:
            inside = [f for f in parts if f.free_symbols & bound]
            return sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), *e.limits)
    return e


def _inward(e: sp.Expr) -> sp.Expr:
    """Move factors that do not depend on a sum's index inside it: ``c * sum_n f = sum_n c f``
    (so an :math:`e^{z_i/T}` meets the :math:`x_{n,i}` it belongs to)."""
    if not e.args or isinstance(e, sp.Indexed):
        return e
    e = e.func(*(_inward(a) for a in e.args))
    if isinstance(e, sp.Mul):
        sums = [f for f in e.args if isinstance(f, sp.Sum)]
        exps = [f for f in e.args if isinstance(f, sp.exp) or (isinstance(f, sp.Pow) and f.base == sp.E)]
        here = any(isinstance(f, sp.Indexed) and f.base.name == "x" for f in e.args)
        if len(sums) == 1 and exps and not here:
            rest = [f for f in e.args if f is not sums[0] and f not in exps]
            inner = _inward(sp.Sum(sp.Mul(*exps) * sums[0].function, *sums[0].limits))
            return sp.Mul(*rest, inner)
    return e


def _abbreviations(d: Derivation, attention: str) -> Callable[[sp.Expr], sp.Expr]:
    """Register :math:`\\phi'_{k,n}` (and :math:`b_{n,l}`) as index-form abbreviations."""
    kk, nn, ll = sp.symbols("k n l", integer=True)
    d.symbol_names[PHI_P] = r"\phi'"
    d.abbreviate(PHI_P, sp.Lambda((kk, nn), DPHI(_pre(attention, kk, nn))))
    if attention != "linear":
        d.symbol_names[B] = "b"
        d.abbreviate(B, sp.Lambda((nn, ll), _b(attention, nn, ll)))

    def dphi_short(a: sp.Expr) -> sp.Expr:
        node = next(e.indices[0] for e in a.atoms(sp.Indexed) if e.base.name == "vm")
        sample = next(e.indices[0] for e in a.atoms(sp.Indexed) if e.base.name == "x")
        return PHI_P[node, sample]

    def short(e: sp.Expr) -> sp.Expr:
        e = _inward(e.replace(lambda a: isinstance(a, DPHI), lambda a: dphi_short(a.args[0])))
        if attention == "linear":
            return e
        dens = {}
        if attention == "softmax":
            for s in e.atoms(sp.Sum):
                (var, _, _), f = s.limits[0], s.function
                xs = [a for a in f.atoms(sp.Indexed) if a.base.name == "x"]
                if len(xs) == 1 and sp.simplify(f - xs[0] * sp.exp(z[var] / T)) == 0:
                    dens[s] = sp.Symbol(f"_D{xs[0].indices[0]}")
        e = e.xreplace(dens)
        den_of = {str(s)[2:]: s for s in dens.values()}

        def weight(a: sp.Indexed) -> sp.Expr:
            n_, l_ = a.indices
            scale = den_of.get(str(n_), 1) if attention == "softmax" else 1
            return B[n_, l_] * scale * sp.exp(-z[l_] / T)

        out = e.xreplace({a: weight(a) for a in e.atoms(sp.Indexed) if a.base.name == "x"})
        return _outward(out) if attention == "softmax" else out

    return short


def _instantiate(flow: dict, e: sp.Expr) -> sp.Expr:
    """Placeholder velocities ``_dot_z[i]``, ``_dot_v[k, i]`` -> the index-form flow."""
    from .index_proof import _instantiate as inst

    return e.replace(
        lambda a: isinstance(a, sp.Indexed) and a.base in DOT.values(),
        lambda a: inst(flow[a.base.name.removeprefix("_dot_")], a.indices),
    )


def _grouped(e: sp.Expr) -> sp.Expr:
    """``e`` with its sums pulled out: one sum per index group, the summands side by side."""
    groups: dict[tuple, list[sp.Expr]] = {}
    for term in sp.Add.make_args(sp.expand(e)):
        for lims, summand in sum_normal_form(term).items():
            groups.setdefault(tuple((hi,) for _, _, hi in lims), []).append((lims, summand))
    out = []
    for parts in groups.values():
        lims = parts[0][0]
        ren = {}
        for lims_p, _ in parts:
            ren.update({var: lims[n][0] for n, (var, _, _) in enumerate(lims_p)})
        summands = [s.xreplace(ren) for _, s in parts]
        body = sp.Add(*summands, evaluate=False) if len(summands) > 1 else summands[0]
        out.append(sp.Sum(body, *lims) if lims else body)
    return sp.Add(*out, evaluate=False) if len(out) > 1 else out[0]


def add_all_sizes(d: Derivation, claim: IndexClaim) -> None:
    """Append the section "All sizes" to ``d``: the index-form proof of ``claim``."""
    flow = index_flow(claim.attention)
    short = _abbreviations(d, claim.attention)
    d.section(r"All sizes: symbolic $M$, $K$, $N$ (index form)")
    d.symbol_names.update({DOT["z"]: r"\dot z", DOT["v"]: r"\dot v"})
    rows = (("z", (i,), r"\dot z_{i}"), ("v", (c, i), r"\dot v_{c,i}"))
    for n, (block, free, lhs) in enumerate(rows):
        rate = _instantiate(flow, DOT[block][free])
        intro = (
            "The flow for every size, derived from the loss in index form (arbitrary $\\phi$ and loss, "
            "$\\mathbb E$ the mean over the $N$ samples):"
            if n == 0
            else ""
        )
        d.chain(intro, lhs, pretty_indices(short(rate)), "derived flow, index form", value=rate, checker=sums_check)
    lhs_claim, rhs_claim = claims(claim)
    if claim.quantity is None:  # the claim is about the derived z' itself
        c_ = d.chain(
            r"The paper's right-hand side, for every size:",
            r"\dot z_i",
            pretty_indices(short(lhs_claim)),
            "derived flow",
            value=lhs_claim,
            checker=sums_check,
        )
        c_.then(pretty_indices(short(rhs_claim)), "regroup as the paper's right-hand side")
        return
    chain_rule = _chain_rule(claim.quantity(sp.Integer(1)))
    c_ = d.chain(
        f"Time derivative of ${claim.label}$ for every size:",
        r"\dot Q_i",
        pretty_indices(chain_rule),
        "chain rule",
        checker=sums_check,
    )
    sub = _instantiate(flow, chain_rule)
    c_.then(pretty_indices(short(sub)), "substitute the flow", given=lambda e: _instantiate(flow, e))
    c_.then(pretty_indices(_grouped(short(sub))), "pull the sums out; summands of each index group side by side")
    end = rhs_claim
    c_.then(pretty_indices(short(end)) if end != 0 else end, "each summand cancels" if end == 0 else "regroup")


def _chain_rule(q: sp.Expr) -> sp.Expr:
    """:math:`\\sum \\partial Q/\\partial\theta\\,\\dot\theta` with placeholder velocities (index form)."""
    eps = sp.Symbol("_eps")
    shift = {e: e + eps * DOT[e.base.name][e.indices] for e in q.atoms(sp.Indexed) if e.base.name in DOT}
    return sp.diff(q.xreplace(shift), eps).xreplace({eps: 0}).doit()
