"""Proofs for symbolic sizes (theory.symbolic.index_proof): the proofs close, wrong claims do not,
the index-form statements are the catalogue's statements, and the procedure is sound.

Soundness is tested independently of the procedure: whenever ``sums_equal`` says True on a
random index expression, both sides are expanded at concrete sizes (``Sum.doit``) and compared
in exact rational arithmetic at random values.  No tolerance is involved anywhere here: every
comparison is exact (rationals) or a symbolic zero test.
"""

from __future__ import annotations

import doctest
import random

import pytest
import sympy as sp
from conftest import profile
from hypothesis import given, settings
from hypothesis import strategies as st
from theory.derivations import joma_softmax_conditional as cond
from theory.derivations import joma_softmax_identity as ident

import theory.symbolic.index_proof as gen
from theory.catalogue import get, theorems
from theory.errors import ExpressionError, UnknownNameError
from theory.models import DPHI, joma_block
from theory.symbolic import derive_flow, time_derivative
from theory.symbolic.index_proof import claims, general_proof, sums_equal
from theory.symbolic.indexed import K, M, N, i
from theory.symbolic.zero import is_identically_zero

#: The theorems whose record carries an index-form claim (proved for symbolic M, K, N).
CLAIMS = {t.name: t.index_claim for t in theorems() if t.index_claim is not None}
NAMES = list(CLAIMS)


# ------------------------------------------------------------------ the proofs and their controls


@pytest.mark.parametrize("name", NAMES)
def test_general_proof_closes(name: str) -> None:
    ok, how = general_proof(CLAIMS[name])
    assert ok, how
    assert how.startswith("all M, K, N >= 1")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scale", [2, 0, sp.Rational(1, 2)])
def test_wrong_claim_is_not_proved(name: str, scale: object) -> None:
    """Negative control: one term of the claim scaled (the quantity's coefficient for linear/exp)."""
    ok, how = sums_equal(*claims(CLAIMS[name], scale=scale))
    assert not ok
    assert "not identically zero" in how


@pytest.mark.parametrize("name", NAMES)
def test_wrong_claim_is_really_wrong_at_a_concrete_size(name: str) -> None:
    """The negative control is meaningful: the scaled claim fails at M=2, K=1, N=1 (a 50-digit
    counterexample), while the paper's claim holds there."""
    sizes = {M: 2, K: 1, N: 1}
    lhs, rhs = claims(CLAIMS[name], scale=2)
    assert not _same(_at_sizes(lhs, sizes, i_value=1), _at_sizes(rhs, sizes, i_value=1))
    lhs, rhs = claims(CLAIMS[name])
    assert _same(_at_sizes(lhs, sizes, i_value=1), _at_sizes(rhs, sizes, i_value=1))


@pytest.mark.parametrize("name", NAMES)
def test_proof_on_the_colleagues_tanh_flow(name: str) -> None:
    """The same claims close on :func:`theory.symbolic.indexed.joma_indexed`'s flow (tanh, phi' = 1 - tanh^2)."""
    ok, how = sums_equal(*claims(CLAIMS[name], activation="tanh"))
    assert ok, how


def test_tanh_claim_with_the_wrong_derivative_is_not_proved() -> None:
    """phi' = 1 - tanh (not 1 - tanh^2) in the claim against the tanh flow: must not close."""
    _, rhs = claims(CLAIMS["joma-softmax-identity"])
    wrong = rhs.replace(lambda a: isinstance(a, DPHI), lambda a: 1 - sp.tanh(a.args[0]))
    lhs_tanh, _ = claims(CLAIMS["joma-softmax-identity"], activation="tanh")
    assert not sums_equal(lhs_tanh, wrong)[0]
    right = rhs.replace(lambda a: isinstance(a, DPHI), lambda a: 1 - sp.tanh(a.args[0]) ** 2)
    assert sums_equal(lhs_tanh, right)[0]


@pytest.mark.parametrize("attention", ["linear", "exp", "softmax"])
def test_arbitrary_phi_flow_specialises_to_the_colleagues_squared_loss_flow(attention: str) -> None:
    """g = y - tanh(pre), phi' = 1 - tanh^2 turns the arbitrary flow into joma_indexed's squared-loss flow."""
    from theory.symbolic.indexed import joma_indexed

    y = sp.IndexedBase("y", real=True)
    theirs = {name: e for name, _, e in joma_indexed(attention=attention, activation="tanh").blocks}
    for block in ("z", "v"):
        mine = gen.index_flow(attention)[block][1]
        mine = mine.replace(
            lambda a: isinstance(a, sp.Indexed) and a.base == gen.g,
            lambda a: y[a.indices] - sp.tanh(gen._pre(attention, *a.indices)),
        ).replace(lambda a: isinstance(a, DPHI), lambda a: 1 - sp.tanh(a.args[0]) ** 2)
        assert sums_equal(mine, theirs[block])[0], block
        assert not sums_equal(2 * mine, theirs[block])[0], block


# ------------------------------------------------------------------ golden: the catalogue's statements


def _at_sizes(expr: sp.Expr, sizes: dict, *, i_value: int) -> sp.Expr:
    """Expand every sum at concrete sizes; entries ``x[n, l]`` become the catalogue's ``x{n}_{l}``."""
    e = expr.xreplace({i: i_value, **sizes}).doit()
    names = {}
    for ix in e.atoms(sp.Indexed):
        label = f"{ix.base}{ix.indices[0]}" + "".join(f"_{v}" for v in ix.indices[1:])
        names[ix] = sp.Symbol(label, positive=str(ix.base) in ("x", "bbar"), real=True)
    return e.xreplace(names)


def _canonical_dphi(e: sp.Expr) -> sp.Expr:
    """phi'(a) with ``a`` in one normal form, so equal arguments written differently are one value."""
    return e.replace(lambda a: isinstance(a, DPHI), lambda a: DPHI(sp.cancel(a.args[0])))


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    names = {s.name: s for s in (a - b).free_symbols}
    b = b.xreplace({s: names.get(s.name, s) for s in b.free_symbols})
    a = a.xreplace({s: names.get(s.name, s) for s in a.free_symbols})
    return is_identically_zero(_canonical_dphi(a - b), samples=3).zero


_SMALL = {"M": 2, "K": 1, "N": 1}
_LARGER = {"M": 2, "K": 2, "N": 2} if profile() == "ci" else {"M": 3, "K": 2, "N": 2}


def _tokens(sizes: dict) -> range:
    """Components compared: all under ``thorough``, the first under ``ci`` at the larger size."""
    return range(1, 2 if profile() == "ci" and sizes is _LARGER else sizes["M"] + 1)


@pytest.mark.slow
@pytest.mark.parametrize("sizes", [_SMALL, _LARGER])
def test_index_identity_is_the_catalogue_identity(sizes: dict) -> None:
    spec = ident.model(**sizes)
    flow = derive_flow(spec)
    lhs, rhs = claims(CLAIMS["joma-softmax-identity"])
    paper = ident.claimed_rhs(spec)
    subs = {M: sizes["M"], K: sizes["K"], N: sizes["N"]}
    for l in _tokens(sizes):
        assert _same(_at_sizes(lhs, subs, i_value=l), flow[f"z{l}"])
        assert _same(_at_sizes(rhs, subs, i_value=l), paper[l - 1])


@pytest.mark.slow
@pytest.mark.parametrize("sizes", [_SMALL, _LARGER])
def test_index_conditional_is_the_catalogue_conditional(sizes: dict) -> None:
    spec = cond.model(**sizes)
    flow = derive_flow(spec)
    lhs, rhs = claims(CLAIMS["joma-softmax-conditional"])
    qs, rs = cond.quantity(spec), cond.residual(spec)
    subs = {M: sizes["M"], K: sizes["K"], N: sizes["N"]}
    for l in _tokens(sizes):
        assert _same(_at_sizes(lhs, subs, i_value=l), time_derivative(flow, qs[l - 1]))
        assert _same(_at_sizes(rhs, subs, i_value=l), rs[l - 1])
    # and the scaled (wrong) residual is not the catalogue's
    _, wrong = claims(CLAIMS["joma-softmax-conditional"], scale=2)
    assert not _same(_at_sizes(wrong, subs, i_value=1), rs[0])


@pytest.mark.parametrize("attention", ["linear", "exp"])
def test_index_invariant_derivative_is_the_catalogues(attention: str) -> None:
    from theory.derivations import joma_exp, joma_linear

    mod = joma_linear if attention == "linear" else joma_exp
    spec = joma_block(2, 2, 1, attention=attention)
    flow = derive_flow(spec)
    lhs, _ = claims(CLAIMS[f"joma-{attention}"], scale=2)  # a non-zero derivative makes the comparison meaningful
    s = spec.symbols
    r = s["eta_z"] / s["eta_w"]
    for l in (1, 2):
        sq = sum(s[f"v{k}_{l}"] ** 2 for k in (1, 2))
        q = s[f"z{l}"] ** 2 - 2 * r * sq if attention == "linear" else s[f"z{l}"] - r / s["T"] * sq
        assert _same(_at_sizes(lhs, {M: 2, K: 2, N: 1}, i_value=l), time_derivative(flow, q))
        assert is_identically_zero(time_derivative(flow, mod.quantity(spec)[l - 1])).zero


# ------------------------------------------------------------------ soundness of the normal form


_s = [sp.Symbol(f"t{r}", integer=True) for r in range(12)]
p, q, h, w = sp.IndexedBase("p"), sp.IndexedBase("q"), sp.IndexedBase("h"), sp.IndexedBase("w")


def _bodies(kind: str, a: sp.Symbol, b: sp.Symbol) -> list[sp.Expr]:
    """Summands of a sum over ``a`` (range M) / ``a`` (range K) / ``(a in K, b in M)``."""
    if kind == "M":
        return [p[a], q[a, i], p[a] ** 2, p[a] * q[a, i] + 1]
    if kind == "K":
        return [h[a], h[a] * p[i], h[a] ** 2 - p[i]]
    return [w[a, b], w[a, b] * p[b], h[a] * p[b], w[a, b] * q[b, i]]


@st.composite
def index_terms(draw: st.DrawFn) -> list[tuple[int, list[tuple[str, int]], sp.Expr]]:
    """Terms ``coef * extra * prod_f Sum(body_f)``: a list of (coef, [(kind, body choice)], extra)."""
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        coef = draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
        factors = [
            (kind, draw(st.integers(0, len(_bodies(kind, _s[0], _s[1])) - 1)))
            for kind in draw(st.lists(st.sampled_from(["M", "K", "KM"]), min_size=1, max_size=2))
        ]
        extra = draw(st.sampled_from([sp.Integer(1), p[i], q[i, i] + 1]))
        terms.append((coef, factors, extra))
    return terms


_RANGE = {"M": M, "K": K}


def _nested(terms: list, rng: random.Random) -> sp.Expr:
    """Rendering A: coef * extra * Sum_a(...) * Sum_b(...), dummy names drawn at random."""
    out = sp.Integer(0)
    for coef, factors, extra in terms:
        e = coef * extra
        for kind, choice in factors:
            a, b = rng.sample(_s, 2)
            lims = [(a, 1, _RANGE[kind])] if kind != "KM" else [(a, 1, K), (b, 1, M)]
            e *= sp.Sum(_bodies(kind, a, b)[choice], *lims)
        out += e
    return out


def _flat(terms: list, rng: random.Random) -> sp.Expr:
    """Rendering B: one multiple sum per term, limits shuffled, coefficient split in two sums."""
    out = sp.Integer(0)
    for coef, factors, extra in terms:
        names = rng.sample(_s, 2 * len(factors))
        body, lims = extra, []
        for r, (kind, choice) in enumerate(factors):
            a, b = names[2 * r], names[2 * r + 1]
            body *= _bodies(kind, a, b)[choice]
            lims += [(a, 1, _RANGE[kind])] if kind != "KM" else [(a, 1, K), (b, 1, M)]
        rng.shuffle(lims)
        first = rng.randint(-2, 2)
        out += sp.Sum(first * body, *lims) + sp.Sum((coef - first) * body, *lims)
    return out


def _numeric(e: sp.Expr, rng: random.Random) -> sp.Expr:
    e = e.xreplace({M: 2, K: 3, i: 2}).doit()
    vals = {ix: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)) for ix in e.atoms(sp.Indexed)}
    return sp.expand(e.xreplace(vals))


@settings(max_examples=25 if profile() == "ci" else 300)
@given(index_terms(), index_terms(), st.booleans(), st.integers(0, 10**6))
def test_normal_form_is_sound_and_closes_rewritings(terms: list, other: list, cancel: bool, seed: int) -> None:
    """``a`` and ``b`` are two renderings of the same sums; ``other`` is added to ``b`` either as
    a zero (``nested - flat``, must be proved) or as such (usually non-zero, must then not be)."""
    rng = random.Random(seed)
    a, b = _nested(terms, rng), _flat(terms, rng)
    assert _numeric(a - b, random.Random(seed)) == 0  # the generator's two renderings agree
    assert sums_equal(a, b)[0]  # completeness on these rewritings
    changed = b + _nested(other, rng) - (_flat(other, rng) if cancel else 0)
    proved = sums_equal(a, changed)[0]
    holds = all(_numeric(a - changed, random.Random(seed + t)) == 0 for t in range(2))
    if proved:  # soundness: a "proved" equality holds at concrete sizes
        assert holds
    if cancel:
        assert proved


def test_symmetric_double_sum_is_not_the_square_of_a_sum() -> None:
    t0, t1 = _s[0], _s[1]
    sq = sp.Sum(p[t0], (t0, 1, M)) ** 2
    assert sums_equal(sq, sp.Sum(p[t0] * p[t1], (t0, 1, M), (t1, 1, M)))[0]
    assert not sums_equal(sq, sp.Sum(p[t0] ** 2, (t0, 1, M)))[0]
    assert not sums_equal(sp.Sum(p[t0], (t0, 1, M)), sp.Sum(p[t0], (t0, 1, K)))[0]
    assert sums_equal(sp.Sum(p[i], (t0, 1, M)), M * p[i])[0]


# ------------------------------------------------------------------ errors and docs


def test_unknown_names_raise() -> None:
    assert NAMES == ["joma-linear", "joma-exp", "joma-softmax-identity", "joma-softmax-conditional"]
    assert get("joma-two-query").index_claim is None  # a negative control has no all-sizes claim
    with pytest.raises(UnknownNameError, match="attention"):
        gen.index_flow("cubic")


def test_non_constant_limits_raise() -> None:
    t0, t1 = _s[0], _s[1]
    with pytest.raises(ExpressionError, match="limits"):
        sums_equal(sp.Sum(sp.Sum(p[t1], (t1, 1, t0)), (t0, 1, M)), 0)


def test_reserved_names_raise() -> None:
    """A free symbol named like a canonical bound index could be captured: refused."""
    s0 = sp.Symbol("_s0", integer=True)
    t0 = _s[0]
    with pytest.raises(ExpressionError, match="reserved"):
        sums_equal(sp.Sum(q[t0, s0], (t0, 1, M)), sp.Sum(q[t0, t0], (t0, 1, M)))


def test_doctests() -> None:
    result = doctest.testmod(gen, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
