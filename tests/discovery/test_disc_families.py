"""The exponential and quotient ansatz families; the Lu et al. identity rediscovered unprompted.

Targets come from the papers, not from the code: Lu, Mao & Nayak (ICLR 2021, sec. 4) state that
with q fixed and the m non-topic words frozen (embedding 0, score s_0),
``||q||^2 ||w_t||^2 - 2 s_t - (2/m) exp(s_t - s_0)`` is conserved for any classifier and loss; it
holds only approximately with trainable non-topic words and breaks when q is trained (negative
controls).  The quotient family is checked on radial models, whose laws are angles (ratios); a
model whose law is transcendental (log) gets none (negative control).
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

import theory
from theory.cli import main
from theory.errors import InvalidArgument
from theory.models.lu import lu_classifier
from theory.models.network import network
from theory.symbolic import derive_flow, prove
from theory.symbolic.families import ansatz_laws


def _paper_identity(spec) -> sp.Expr:
    """Lu et al.'s identity in the spec's symbols (the published statement)."""
    e = spec.extra
    return e["q2"] * e["w2"] - 2 * e["score_t"] - 2 / e["m"] * sp.exp(e["score_t"] - e["s_0"])


def _in_linear_span(target: sp.Expr, laws: list[sp.Expr], state: tuple) -> bool:
    """Whether ``target = sum_i c_i law_i + c_0`` with constant coefficients (exact solve)."""
    cs = sp.symbols(f"c0:{len(laws) + 1}")
    residual = target - cs[0] - sum(c * law for c, law in zip(cs[1:], laws, strict=True))
    residual = sp.expand(residual, power_exp=True)  # exp(a + b) -> exp(a) exp(b), one atom per monomial
    moving = sorted((e for e in residual.atoms(sp.exp) if e.free_symbols & set(state)), key=sp.default_sort_key)
    names = {e: sp.Symbol(f"_X{i}") for i, e in enumerate(moving)}
    residual = sp.fraction(sp.together(residual.xreplace(names)))[0]  # rational in the state: its numerator
    gens = [*state, *names.values()]
    eqs = sp.Poly(sp.expand(residual), *gens).coeffs()
    return sp.linsolve(eqs, list(cs)) != sp.EmptySet


@pytest.fixture(scope="module")
def lu_found():
    spec = lu_classifier(m=None)  # a symbolic m: the statement for every m
    flow = derive_flow(spec)
    return spec, flow, ansatz_laws(flow, 2, ("exp",))


def test_lu_identity_rediscovered_for_every_m(lu_found) -> None:
    spec, flow, found = lu_found
    assert any(law.has(sp.exp) for law in found.laws)
    assert all(prove(flow, law).verdict == "proved" for law in found.laws)
    assert _in_linear_span(_paper_identity(spec), list(found.laws), flow.state)


def test_span_check_can_fail(lu_found) -> None:
    """Negative control of the span test: the identity with the wrong factor 1/m -> 3/m is not in it."""
    spec, flow, found = lu_found
    e = spec.extra
    wrong = e["q2"] * e["w2"] - 2 * e["score_t"] - 3 / e["m"] * sp.exp(e["score_t"] - e["s_0"])
    assert not _in_linear_span(wrong, list(found.laws), flow.state)


def test_polynomial_family_alone_misses_the_identity(lu_found) -> None:
    spec, flow, _ = lu_found
    poly = ansatz_laws(flow, 2)
    assert not any(law.has(sp.exp) for law in poly.laws)
    assert not _in_linear_span(_paper_identity(spec), list(poly.laws), flow.state)


@pytest.mark.parametrize("options", [{"trainable_query": True}, {"frozen_nontopic": False, "m": 1}])
def test_identity_lost_without_its_side_conditions(options: dict) -> None:
    spec = lu_classifier(**options)
    flow = derive_flow(spec)
    found = ansatz_laws(flow, 2, ("exp",))
    assert not any(law.has(sp.exp) for law in found.laws)
    assert not _in_linear_span(_paper_identity(spec), list(found.laws), flow.state)


def test_discover_lu_complete_with_the_exp_family() -> None:
    """The count (2 = D - dim Lie(V)) meets the proved independent laws only with the exp family."""
    spec = lu_classifier()
    with_exp = theory.discover(spec, 2, families=("exp",))
    assert (with_exp.independent, with_exp.count.count, with_exp.complete) == (2, 2, True)
    plain = theory.discover(spec, 2)
    assert (plain.independent, plain.complete) == (1, False)


x, y, t = sp.symbols("x y t", real=True)


@pytest.mark.parametrize(
    ("output", "law"),
    [((x**2 + y**2) * t, y / x), ((x**2 + 2 * y**2) * t, x**2 / y)],
)
def test_quotient_family_finds_the_angle_of_radial_models(output: sp.Expr, law: sp.Expr) -> None:
    """g depends on theta through r = x^2 + c y^2 only, so grad g is parallel to (x, c y) and h is a
    law iff x h_x + c y h_y = 0: h = x^c / y (x/y for c = 1, x^2/y for c = 2), rational, outside
    every polynomial ansatz (which finds nothing here)."""
    flow = derive_flow(network(output, {"a": [x, y]}, [t]))
    assert ansatz_laws(flow, 2).laws == ()
    found = ansatz_laws(flow, 2, ("quotient",))
    assert found.laws and all(prove(flow, q).verdict == "proved" for q in found.laws)
    assert _in_linear_span(law, list(found.laws), flow.state) or _in_linear_span(1 / law, list(found.laws), flow.state)


def test_quotient_family_finds_nothing_for_a_transcendental_law() -> None:
    """r = x^2 + y^3: the law is log(x) + 2/(3y), not rational: the family must find nothing."""
    flow = derive_flow(network((x**2 + y**3) * t, {"a": [x, y]}, [t]))
    assert ansatz_laws(flow, 2, ("quotient",)).laws == ()
    assert prove(flow, sp.log(x) + sp.Rational(2, 3) / y).verdict == "proved"  # the law exists outside the family


def test_cli_exp_family_json(capsys) -> None:
    assert main(["discover", "lu", "--family", "exp", "--no-count", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["families"] == ["polynomial", "exp"]
    assert any("exp(" in law["law"] and law["verdict"] == "proved" for law in d["laws"])


@pytest.mark.parametrize("family", ["expo", ",", "polynomial,log"])
def test_cli_unknown_family_exits_2(capsys, family: str) -> None:
    assert main(["discover", "lu", "--family", family]) == 2
    err = capsys.readouterr().err.strip()
    assert "--family" in err and "\n" not in err


def test_api_rejects_unknown_family_and_depth() -> None:
    flow = derive_flow(lu_classifier())
    with pytest.raises(InvalidArgument, match="unknown ansatz family"):
        ansatz_laws(flow, 2, ("log",))
    with pytest.raises(InvalidArgument, match="max_depth"):
        theory.count_laws(lu_classifier(), max_depth=9)


def test_quotient_family_on_a_head_keeps_exactly_the_polynomial_laws() -> None:
    """A softmax head has no quotient law beyond Q Q^T - K K^T and V V^T - O O^T (count 2 = the
    two polynomial laws, d1 = 1): the widened ansatz (332 functions, the modular route) finds the
    same two laws, each verified symbolically, instead of running the exact route for minutes."""
    from theory.models import blocks

    flow = derive_flow(blocks.attention(tokens=2, dim=2, head_dim=1))
    found = ansatz_laws(flow, 2, ("quotient",))
    assert found.unknowns > 300 and len(found.laws) == 2
    assert all(not law.has(sp.Pow) or all(p.exp > 0 for p in law.atoms(sp.Pow)) for law in found.laws)
