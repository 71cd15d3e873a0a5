"""Discovery of polynomial conservation laws and the Lie-algebra count (Marcotte et al., NeurIPS 2023).

Regression targets: two-layer linear networks g = U V^T x have the r(r+1)/2 laws U^T U - V^T V when
r <= min(n, m) (Marcotte et al. 2023, and the count says there are no others); the JoMA exp and
linear invariants are rediscovered unprompted; softmax attention conserves the sum of logits.
Every discovered law is proved symbolically by the prover; negative controls: a perturbed law is
refuted, and a non-law is not in the discovered span.
"""

from __future__ import annotations

import pytest
import sympy as sp

from theory.models import joma_block
from theory.models.network import network
from theory.symbolic import derive_flow, prove
from theory.symbolic.laws import polynomial_laws
from theory.symbolic.lie import count_laws


def _linear_net(n: int, r: int, m: int):
    U = sp.Matrix(n, r, lambda a, b: sp.Symbol(f"U{a + 1}_{b + 1}", real=True))
    V = sp.Matrix(m, r, lambda a, b: sp.Symbol(f"V{a + 1}_{b + 1}", real=True))
    X = sp.Matrix(m, 1, lambda a, b: sp.Symbol(f"x{a + 1}", real=True))
    return network(U * V.T * X, {"U": U, "V": V}, list(X)), U, V


@pytest.mark.parametrize(("n", "r", "m", "expected"), [(2, 2, 2, 3), (3, 2, 3, 3), (2, 1, 3, 1), (2, 3, 2, 6)])
def test_linear_network_count(n: int, r: int, m: int, expected: int) -> None:
    spec, _, _ = _linear_net(n, r, m)
    out = count_laws(derive_flow(spec))
    assert out.exact and out.count == expected, out
    if r <= min(n, m):
        assert expected == r * (r + 1) // 2  # the published count


def test_linear_network_laws_are_UtU_minus_VtV_and_proved() -> None:
    spec, U, V = _linear_net(2, 2, 2)
    flow = derive_flow(spec)
    found = polynomial_laws(flow, 2).laws
    target = U.T * U - V.T * V
    assert len(found) == 3 == count_laws(flow).count
    span = sp.Matrix([[sp.Poly(q, *flow.state).coeff_monomial(mono) for mono in _monos(flow)] for q in found])
    for entry in (target[0, 0], target[0, 1], target[1, 1]):
        row = sp.Matrix([[sp.Poly(sp.expand(entry), *flow.state).coeff_monomial(mono) for mono in _monos(flow)]])
        assert span.col_join(row).rank() == span.rank()  # each entry of U^T U - V^T V is in the span
    for q in found:
        assert prove(flow, q).verdict == "proved"
    # negative controls: a perturbed law is refuted and is not in the span
    bad = sp.expand(target[0, 0] + U[0, 0] * V[0, 0])
    assert prove(flow, bad).verdict == "refuted"
    row = sp.Matrix([[sp.Poly(bad, *flow.state).coeff_monomial(mono) for mono in _monos(flow)]])
    assert span.col_join(row).rank() == span.rank() + 1


def _monos(flow) -> list:
    return [m for d in (1, 2) for m in sp.itermonomials(flow.state, d, d)]


@pytest.mark.parametrize(("attention", "sizes"), [("exp", (2, 1, 1)), ("exp", (3, 2, 2)), ("linear", (2, 1, 1))])
def test_joma_invariants_rediscovered(attention: str, sizes: tuple) -> None:
    spec = joma_block(*sizes, attention=attention)
    flow = derive_flow(spec)
    laws = polynomial_laws(flow, 2).laws
    s = spec.symbols
    r = s["eta_z"] / s["eta_w"]
    M, K = sizes[0], sizes[1]
    for l in range(1, M + 1):
        sq = sum(s[f"v{k}_{l}"] ** 2 for k in range(1, K + 1))
        paper = s[f"z{l}"] - r / (2 * s["T"]) * sq if attention == "exp" else s[f"z{l}"] ** 2 - r * sq
        assert any(sp.simplify(q / paper).is_constant(*flow.state) for q in laws), (paper, laws)
    assert len(laws) == M
    assert all(prove(flow, q).verdict == "proved" for q in laws)


def test_softmax_conserves_the_sum_of_logits() -> None:
    spec = joma_block(2, 1, 1, attention="softmax")
    laws = polynomial_laws(derive_flow(spec), 1).laws
    s = spec.symbols
    assert s["z1"] + s["z2"] in laws
    # and v_1 + v_2 - v_m: the softmax weights sum to one, so sum_l v_l and v_m move together
    assert s["v1_1"] + s["v1_2"] - s["vm1"] in laws
    assert len(laws) == 2


def test_concrete_activation_still_finds_the_invariants() -> None:
    # tanh is rewritten with exponentials of sums that hold generators; those atoms are kept opaque
    spec = joma_block(2, 1, 1, attention="exp", activation="tanh", loss="squared")
    laws = polynomial_laws(derive_flow(spec), 2).laws
    assert len(laws) == 2 and all(prove(derive_flow(spec), q).verdict == "proved" for q in laws)


def test_catalogue_quantities_are_discovered_not_typed() -> None:
    """joma-exp / joma-linear prove the laws the ansatz finds; they equal the paper's statement."""
    from theory.derivations import _common, joma_exp, joma_linear

    assert joma_exp.THEOREM.quantity is joma_exp.discovered
    assert joma_linear.THEOREM.quantity is joma_linear.discovered
    for module in (joma_exp, joma_linear):
        for sizes in module.SIZES:
            spec = module.model(**sizes)
            found, paper = module.discovered(spec), module.invariant(spec)
            assert len(found) == len(paper) == sizes["M"]
            assert all(sp.simplify(a - b) == 0 for a, b in zip(found, paper, strict=True))
    # negative control: a monomial that no law contains cannot be normalised to 1
    spec = joma_exp.model(2, 1, 1)
    with pytest.raises(_common.StepError):
        _common.discovered_components(spec, [spec.symbols["v1_1"] ** 3])


def test_a_law_whose_coefficient_depends_on_a_model_constant() -> None:
    """g = e^{a/tau} b x: a -> a + eps tau, b -> (1 - eps) b leaves g unchanged, so (equal rates)
    tau a - b^2 / 2 is conserved (Noether: X = (tau, -b)), i.e. a - b^2/(2 tau), a coefficient in
    tau.  The modular route fixes tau at one
    value; its candidate cannot pass the symbolic test for every tau, and the exact route must
    still return the law (not drop it, not return the value at the drawn tau)."""
    a, b, x = sp.symbols("a b x", real=True)
    tau = sp.Symbol("tau", positive=True)
    flow = derive_flow(network(sp.exp(a / tau) * b * x, {"a": [a], "b": [b]}, [x]))
    laws = polynomial_laws(flow, 2).laws
    assert len(laws) == 1 and sp.simplify(laws[0] - (a - b**2 / (2 * tau))) == 0
    assert prove(flow, laws[0]).verdict == "proved"
    assert prove(flow, a - b**2 / 4).verdict == "refuted"  # control: the law at tau = 2 is not one
