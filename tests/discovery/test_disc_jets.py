"""Law counts of rational fields beyond bracket depth 3: the jet closure (issue 11, item 3).

The models with a known answer are Goursat-type pairs of fields on :math:`\\theta = (a, b, c, d, e, f)`,

.. math::

    X_1 = \\partial_a,\\qquad X_2 = \\partial_b + \\varphi_1(a)\\,\\partial_c + \\varphi_2(a)\\,\\partial_d
          + \\varphi_3(a)\\,\\partial_e + (\\varphi_1 + \\varphi_2)(a)\\,\\partial_f,

as the flow :math:`\\dot\\theta = s_1 X_1 + s_2 X_2` with data :math:`s`, so
:math:`V = \\operatorname{span}\\{X_1, X_2\\}`.  By hand: :math:`\\operatorname{ad}_{X_1}^k X_2 =
W_k = (0, 0, \\varphi_1^{(k)}, \\varphi_2^{(k)}, \\varphi_3^{(k)}, \\varphi_1^{(k)} + \\varphi_2^{(k)})`,
and every other bracket vanishes (all coefficients depend on :math:`a` alone, and neither
:math:`X_2` nor the :math:`W_k` has an :math:`\\partial_a` component).  So the rank after depth
:math:`t` is :math:`2 + \\operatorname{rank}\\{W_1, \\dots, W_{t-1}\\}`.  The :math:`W_k` lie in the
3-dimensional space :math:`\\{w_f = w_c + w_d\\}`, and :math:`W_1, W_2, W_3` span it when the
Wronskian of :math:`\\varphi_1', \\varphi_2', \\varphi_3'` is not identically zero, which for
analytic functions is equivalent to their linear independence (Bôcher 1900).  Hence the ranks
:math:`(2, 3, 4, 5, 5)`: the rank grows at depth 4, and the count is :math:`6 - 5 = 1` (the law
:math:`f - c - d`).  Stopped at depth 3 (the old 2-jet route) the count would be 2, not closed.

A positive function :math:`r` times every field changes neither the conserved quantities nor
the ranks per depth: :math:`[ra, rb] = r^2[a, b] + r\\,(a\\cdot\\nabla r)\\, b - r\\,(b\\cdot\\nabla r)\\, a`,
so by induction the span at each depth is the same.  A polynomial model times
:math:`1/(1 + \\theta_1^2)` is therefore a rational model whose ranks the polynomial route gives.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
import sympy as sp

from theory.errors import InvalidArgument
from theory.models import blocks, custom
from theory.models.network import network
from theory.symbolic import _lie_close, _lie_jets, _lie_modp, derive_flow
from theory.symbolic.lie import count_laws

A, B, C, D_, E, F = THETA = sp.symbols("a b c d e f", real=True)
S1, S2 = sp.symbols("s1 s2", real=True)


def goursat(phis: list[sp.Expr]):
    """The flow ``s1 X1 + s2 X2`` above, with ``phi_4 = phi_1 + phi_2``."""
    flow = derive_flow(custom(sum(THETA), {"w": list(THETA)}, {"w": 1}, data=[S1, S2]))
    x1 = [1, 0, 0, 0, 0, 0]
    x2 = [0, 1, *phis, phis[0] + phis[1]]
    return dataclasses.replace(flow, rhs=tuple(S1 * p + S2 * q for p, q in zip(x1, x2, strict=True)))


# phi' independent: 1/(k+a) (a Cauchy-Vandermonde matrix of the 1/(k+a)), and a softmax-like mix
RATIONAL = [1 / (1 + A), 1 / (2 + A), 1 / (3 + A)]
WITH_EXP = [sp.exp(A), 1 / (1 + A), sp.exp(A) / (1 + sp.exp(A))]
TOWER = [sp.exp(sp.exp(A)), 1 / (1 + A), sp.exp(A)]  # exp of exp: a generator of a generator
POLYNOMIAL = [A**2, A**3, A**4]


@pytest.mark.parametrize("phis", [RATIONAL, WITH_EXP, TOWER], ids=["rational", "exp", "tower"])
def test_rank_that_grows_at_depth_4_is_found(phis) -> None:
    flow = goursat(phis)
    deep = count_laws(flow, max_depth=6)
    assert deep.exact and deep.ranks == (2, 3, 4, 5, 5) and deep.count == 1 and deep.closed, deep
    # what depth 3 (the old route's limit) saw: one law too many, and it said the count was open
    shallow = count_laws(flow, max_depth=3)
    assert shallow.count == 2 and not shallow.closed, shallow


def test_closed_only_when_the_limit_did_not_stop_growth() -> None:
    flow = goursat(RATIONAL)
    assert not count_laws(flow, max_depth=4).closed  # depth 4 still added a field: maybe more at 5
    full = goursat(RATIONAL)
    # without f (phi_4's coordinate) the rank is full at depth 4: nothing can be missing
    flow5 = dataclasses.replace(full, state=full.state[:5], rhs=full.rhs[:5])
    out = count_laws(flow5, max_depth=4)
    assert out.count == 0 and out.closed, out


def test_too_small_a_jet_order_gives_a_wrong_rank(monkeypatch) -> None:
    # negative control: jets one order short drop the derivatives depth-3+ brackets need
    monkeypatch.setattr(_lie_close, "jet_order", lambda order: order - 1)
    out = count_laws(goursat(RATIONAL), max_depth=6)
    assert out.ranks != (2, 3, 4, 5, 5) and out.count != 1, out


def test_jets_route_agrees_with_the_polynomial_route(monkeypatch) -> None:
    flow = goursat(POLYNOMIAL)
    polynomial = count_laws(flow, max_depth=6)
    assert polynomial.ranks == (2, 3, 4, 5, 5)
    monkeypatch.setattr(_lie_close, "is_polynomial", lambda lifted, basis: False)
    assert count_laws(flow, max_depth=6).ranks == polynomial.ranks


@pytest.mark.parametrize("which", ["goursat", "linear"])
def test_a_polynomial_model_written_as_a_rational_one(which: str) -> None:
    if which == "goursat":
        flow = goursat(POLYNOMIAL)
    else:  # two-layer linear network, r(r+1)/2 = 3 laws
        U = sp.Matrix(2, 2, sp.symbols("u1:5", real=True))
        V = sp.Matrix(2, 2, sp.symbols("v1:5", real=True))
        x = sp.symbols("x1:3", real=True)
        flow = derive_flow(network(U * V.T * sp.Matrix(x), {"U": U, "V": V}, x))
    polynomial = count_laws(flow, max_depth=6)
    scale = 1 / (1 + flow.state[0] ** 2)
    rational = count_laws(dataclasses.replace(flow, rhs=tuple(scale * r for r in flow.rhs)), max_depth=6)
    assert rational.ranks == polynomial.ranks and rational.count == polynomial.count, (rational, polynomial)
    assert rational.closed and polynomial.count == (1 if which == "goursat" else 3)


def test_head_count_unchanged_beyond_depth_3() -> None:
    flow = derive_flow(blocks.attention(2, 2, 2))  # closes at depth 3: d1(d1 + 1) = 6 laws
    counts = [count_laws(flow, max_depth=depth) for depth in (3, 4, 5)]
    assert all(c.closed and c.count == 6 for c in counts), counts


def test_jets_are_taylor_coefficients() -> None:
    # the series of exp(a b) / (1 + a) at a random point, against SymPy's Taylor expansion with
    # exp(a0 b0) standing for the random generator value E0 (the leaf through the point)
    rhs = [sp.exp(A * B) / (1 + A), A * B**2]
    lifted = _lie_modp.Lift([A, B], {A * B: 1})
    rng = random.Random(3)
    point = [rng.randrange(1, 1000) for _ in range(3)]
    engine = _lie_jets.Jets(lifted, point, 4)
    series = engine.field(rhs, {})[0]
    h1, h2, t, e0 = sp.symbols("h1 h2 t e0")
    a0, b0 = point[:2]
    shifted = e0 * sp.exp((a0 + t * h1) * (b0 + t * h2) - a0 * b0) / (1 + a0 + t * h1)
    taylor = sp.series(shifted, t, 0, 5).removeO()
    for n in range(5):
        part = sp.Poly(sp.expand(taylor.coeff(t, n).subs(e0, point[2])), h1, h2)
        expected = {m: _lie_modp.modp(sp.Rational(c)) for m, c in part.terms()}
        got = {m: int(c) for m, c in series.parts[n].to_dict().items()}
        assert got == expected, n
    # negative control: a different point gives different coefficients
    other = _lie_jets.Jets(lifted, [point[0] + 1, *point[1:]], 4).field(rhs, {})[0]
    assert other.parts[2].to_dict() != series.parts[2].to_dict()


def test_jets_too_large_are_refused(monkeypatch) -> None:
    monkeypatch.setattr(_lie_close, "MAX_JET_COEFFICIENTS", 100)
    with pytest.raises(InvalidArgument, match="jets at the point"):
        count_laws(goursat(RATIONAL), max_depth=6)


def test_the_60_digit_route_says_when_the_depth_limit_stopped_it(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise _lie_modp.NotLiftable("forced")

    monkeypatch.setattr(_lie_modp, "lift", refuse)
    flow = goursat(RATIONAL)
    shallow, deep = count_laws(flow, max_depth=3), count_laws(flow, max_depth=6)
    assert not shallow.exact and shallow.count == 2 and not shallow.closed, shallow
    assert deep.ranks == (2, 3, 4, 5, 5) and deep.count == 1 and deep.closed, deep


def test_exponents_are_read_as_polynomials_of_the_generators() -> None:
    # exp(arg) = prod E_m^c: the integer powers of the generators E_a = e^a, E_ab = e^(ab/2)
    lifted = _lie_modp.Lift([A, B], {A: 1, A * B: 2})
    assert lifted._powers(3 * A + A * B / 2) == [(0, 3), (1, 1)]
    assert lifted._powers(2 * A + (A + B) ** 2 - A**2 - B**2 - 2 * A * B) == [(0, 2)]  # expanded first
    # negative controls: not polynomial, irrational or float coefficient, constant term
    for bad in [1 / A, sp.sqrt(A), A**B, sp.sqrt(2) * A, sp.Float(1.5) * A, A * sp.exp(B), A + 1]:
        with pytest.raises(_lie_modp.NotLiftable):
            lifted._powers(bad)


def test_jets_follow_a_tower_of_generators() -> None:
    # exp(exp(a)) on the leaf through (a0, E0, E1): E1 exp(E0 (e^h - 1)), since exp(a0 + h) = E0 e^h
    e_a = sp.Symbol("_E0", positive=True)  # the lift's name for the first generator
    lifted = _lie_modp.Lift([A], {A: 1, e_a: 1})
    point = [5, 7, 11]
    series = _lie_jets.Jets(lifted, point, 4).field([sp.exp(sp.exp(A))], {})[0]
    h = sp.Symbol("h")
    taylor = sp.series(point[2] * sp.exp(point[1] * (sp.exp(h) - 1)), h, 0, 5).removeO()
    for n in range(5):
        expected = _lie_modp.modp(sp.Rational(taylor.coeff(h, n)))
        assert int(series.parts[n].to_dict().get((n,), 0)) == expected, n
    # negative control: with the inner generator's own series ignored (E0 e^h -> E0 (1 + h)) the
    # h^2 coefficient would be E1 E0^2 / 2, not E1 (E0^2 + E0) / 2
    wrong = sp.series(point[2] * sp.exp(point[1] * h), h, 0, 3).removeO().coeff(h, 2)
    assert int(series.parts[2].to_dict()[(2,)]) != _lie_modp.modp(sp.Rational(wrong))
