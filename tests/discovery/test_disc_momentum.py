"""Heavy-ball (momentum) conservation laws: counts from the symmetry argument, proofs, lost laws, numerics.

Expected numbers come from Noether's theorem for the damped Lagrangian
:math:`e^{(b/a)t}(\\tfrac a2|\\dot\\theta|^2 - \\mathcal L)` (Marcotte, Gribonval & Peyre, ICML 2024,
arXiv 2405.12888), not from the code under test: only *isometric* symmetries of the loss give
laws, :math:`e^{(b/a)t} a\\,p^\\top X\\theta` for each antisymmetric generator :math:`X`.  For
:math:`g = U V^\\top x` the isometries are :math:`U \\to UR,\\ V \\to VR` with :math:`R \\in O(r)`:
:math:`\\dim\\mathfrak{so}(r) = r(r-1)/2` laws, while the :math:`r(r+1)/2` gradient-flow laws
:math:`U^\\top U - V^\\top V` (from the non-isometric part of :math:`GL(r)`) are lost.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from theory._budget import limits_set
from theory.cli import main
from theory.errors import BudgetExceeded, InvalidArgument
from theory.models.blocks import classifier, linear_network
from theory.models.custom import custom_model
from theory.numeric.compile import compile_expression
from theory.symbolic.flow import derive_flow
from theory.symbolic.laws import polynomial_laws
from theory.symbolic.momentum import heavy_ball_field, momentum_laws
from theory.symbolic.zero import is_identically_zero, symbolic_zero


@pytest.fixture(scope="module")
def net222():
    spec = linear_network(2, 2, 2)
    return spec, momentum_laws(spec, 2)


def _noether_charges(spec, hb, r: int) -> list[sp.Expr]:
    """:math:`e^{(b/a)t} a \\langle p, X\\theta\\rangle` for the generators X of U -> U S, V -> V S, S = E_ij - E_ji."""
    U = sp.Matrix(2, r, spec.group("U").symbols)
    V = sp.Matrix(2, r, spec.group("V").symbols)
    momentum = dict(zip(hb.state[: len(spec.state)], hb.state[len(spec.state) :], strict=True))
    PU, PV = U.applyfunc(lambda s: momentum[s]), V.applyfunc(lambda s: momentum[s])
    out = []
    for i in range(r):
        for j in range(i + 1, r):
            S = sp.zeros(r, r)
            S[i, j], S[j, i] = 1, -1
            pairing = (PU.T * (U * S)).trace() + (PV.T * (V * S)).trace()
            out.append(sp.exp(hb.b * hb.t / hb.a) * hb.a * sp.expand(pairing))
    return out


@pytest.mark.parametrize(("n", "r", "m"), [(2, 1, 2), (1, 1, 1), (2, 2, 2)])
def test_linear_network_count_is_dim_so_r(n: int, r: int, m: int, net222) -> None:
    found = net222[1] if (n, r, m) == (2, 2, 2) else momentum_laws(linear_network(n, r, m), 2)
    assert len(found.laws) == r * (r - 1) // 2  # dim so(r), from the symmetry argument
    assert all(law.proved and law.time_dependent and law.independent for law in found.laws)
    # every gradient-flow law (r(r+1)/2 of them when r <= n, m) is lost, each with a certified witness
    assert len(found.lost) == r * (r + 1) // 2
    assert all(lost.certified and not lost.test.zero for lost in found.lost)


def test_discovered_law_is_the_noether_charge(net222) -> None:
    spec, found = net222
    hb = heavy_ball_field(spec)
    (charge,) = _noether_charges(spec, hb, 2)
    assert symbolic_zero(hb.derivative(charge))  # the charge built from the symmetry is conserved ...
    (law,) = (law.quantity for law in found.laws)
    ratio = sp.simplify(charge / law)
    assert ratio.free_symbols <= {hb.a, hb.b}  # ... and is the discovered law up to a constant factor
    assert ratio != 0


def test_negative_controls_the_exponential_matters_and_the_balance_is_refuted(net222) -> None:
    spec, found = net222
    hb = heavy_ball_field(spec)
    (law,) = (law.quantity for law in found.laws)
    static = law.subs(sp.exp(hb.b * hb.t / hb.a), 1)  # same quantity without the factor e^{(b/a)t}
    assert is_identically_zero(hb.derivative(static)).refuted
    broken = law + sp.exp(hb.b * hb.t / hb.a) * hb.state[0] * hb.state[-1]  # one extra term
    assert is_identically_zero(hb.derivative(broken)).refuted
    # the gradient-flow law U^T U - V^T V entry (1,1), built here from the matrices, is refuted too
    U, V = sp.Matrix(2, 2, spec.group("U").symbols), sp.Matrix(2, 2, spec.group("V").symbols)
    balance = (U.T * U - V.T * V)[0, 0]
    test = is_identically_zero(sp.expand(hb.derivative(balance)))
    assert test.refuted and test.point is not None
    assert sp.N(hb.derivative(balance).xreplace(test.point), 60) != 0
    # ... while it is a gradient-flow law (positive control of the refutation)
    assert sp.expand(balance) in {sp.expand(q) for q in polynomial_laws(derive_flow(spec), 2).laws}


def test_custom_loss_rotation_gives_one_law_broken_rotation_none() -> None:
    x, y, w = sp.symbols("x y w", real=True)
    eta = sp.Symbol("eta", positive=True)
    radial = custom_model((x**2 + y**2 - w) ** 2, {"theta": ([x, y], eta)}, data=[w])
    found = momentum_laws(radial, 2, lost=False)
    assert len(found.laws) == 1 and found.laws[0].proved  # dim so(2) = 1
    skewed = custom_model((x**2 + 2 * y**2 - w) ** 2, {"theta": ([x, y], eta)}, data=[w])
    assert momentum_laws(skewed, 2, lost=False).laws == ()  # no isometry left: no law (negative control)


def test_classifier_shift_gives_two_independent_laws_per_direction() -> None:
    """A translation v with grad L . v = 0 (softmax: W -> W + 1 c^T) gives two laws.

    With :math:`\\pi = v^\\top p`: :math:`a\\dot\\pi = -b\\pi`, so :math:`e^{(b/a)t}\\pi` is conserved,
    and :math:`\\frac{d}{dt}(v^\\top\\theta + \\tfrac ab \\pi) = \\pi - \\pi = 0`.  With dim = 1 there is
    one direction, so 2 independent laws; the degree-2 basis also holds their products (dependent).
    """
    spec = classifier(dim=1, classes=2)
    found = momentum_laws(spec, 2)
    assert sum(law.independent for law in found.laws) == 2
    assert len(found.laws) > 2  # products are in the linear basis, marked dependent (control of the rank test)
    assert all(law.proved for law in found.laws)
    hb = heavy_ball_field(spec)
    theta, p = hb.state[:2], hb.state[2:]
    shift = theta[0] + theta[1] + hb.a / hb.b * (p[0] + p[1])
    assert symbolic_zero(hb.derivative(shift))
    assert is_identically_zero(hb.derivative(theta[0] + theta[1])).refuted  # the gradient-flow law is lost
    assert all(lost.certified for lost in found.lost)


def _heavy_ball_squared_loss(seed: int, a: float, b: float, t_end: float):
    """DOP853 on a U, V (2x2 each) linear network with squared loss on 5 samples; gradient in NumPy."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))

    def rhs(_t: float, z: np.ndarray) -> np.ndarray:
        U, V, PU, PV = z[:4].reshape(2, 2), z[4:8].reshape(2, 2), z[8:12], z[12:]
        R = X @ V @ U.T - Y  # residuals, one row per sample: g(x) - y with g(x) = U V^T x
        gU, gV = R.T @ X @ V, X.T @ R @ U  # gradients of L = 1/2 sum |U V^T x - y|^2
        return np.concatenate([PU, PV, -(b * PU + gU.ravel()) / a, -(b * PV + gV.ravel()) / a])

    z0 = rng.normal(size=16)
    ts = np.linspace(0.0, t_end, 81)
    sol = solve_ivp(rhs, (0.0, t_end), z0, method="DOP853", rtol=1e-11, atol=1e-13, t_eval=ts)
    assert sol.success
    return sol.t, sol.y


def test_numerical_heavy_ball_keeps_the_law_and_drifts_the_balance(net222) -> None:
    spec, found = net222
    hb = heavy_ball_field(spec)
    (law,) = (law.quantity for law in found.laws)
    a, b, t_end = 1.0, 0.5, 8.0
    t, Z = _heavy_ball_squared_loss(0, a, b, t_end)
    # layout: U row-major, V row-major, then their momenta (the spec's state order, checked here)
    assert [s.name for s in hb.state[:8]] == ["U1_1", "U1_2", "U2_1", "U2_2", "V1_1", "V1_2", "V2_1", "V2_2"]
    f = compile_expression(law, [*hb.state, hb.t, hb.a, hb.b])
    Q = np.asarray(f(*Z, t, a, b), dtype=float)
    # DOP853 at rtol 1e-11 keeps the global state error near 10 * rtol = 1e-10 over this horizon; Q is
    # e^{(b/a)t} (e^4 ~ 55 at T = 8) times a bilinear form of O(1) entries of (theta, p), so its error is
    # about 5e-9: bound 1e-8 relative to max(1, max|Q|).  Measured: 1.4e-11, 2.5e-12, 1.1e-11 (seeds 0-2).
    drift = np.max(np.abs(Q - Q[0])) / max(1.0, np.max(np.abs(Q)))
    assert drift < 1e-8
    U = Z[:4].reshape(2, 2, -1)
    V = Z[4:8].reshape(2, 2, -1)
    balance = np.einsum("kit,kjt->ijt", U, U) - np.einsum("kit,kjt->ijt", V, V)
    moved = np.max(np.abs(balance - balance[:, :, :1]))
    assert moved > 0.1  # O(1) drift of U^T U - V^T V (3.8 measured), 10^7 times the law's bound: negative control


def test_cli_momentum_json_and_bad_flags(capsys) -> None:
    code = main(["discover", "linear-net", "--sizes", "n=2,r=1,m=2", "--momentum", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["laws"] == [] and len(d["lost"]) == 1 and d["lost"][0]["certified"] is True
    assert main(["discover", "linear-net", "--momentum", "--check"]) == 2
    assert "--check" in capsys.readouterr().err
    assert main(["discover", "linear-net", "--momentum", "--degree", "9"]) == 2


def test_bad_input_is_refused_before_any_work() -> None:
    with pytest.raises(InvalidArgument, match="coefficients, more than"):
        momentum_laws(linear_network(4, 4, 4), 2)  # 64 phase-space variables: 4288 coefficients
    for degree in (0, 5, True, 2.0):
        with pytest.raises(InvalidArgument, match="degree"):
            momentum_laws(linear_network(1, 1, 1), degree)  # type: ignore[arg-type]
    assert momentum_laws(linear_network(1, 1, 1), 1).laws == ()  # degree 1 is accepted (control)
    with limits_set(max_memory=1e9), pytest.raises(BudgetExceeded, match="1404 coefficients"):
        momentum_laws(linear_network(3, 3, 3), 2)  # about 2.9 GB measured: refused under a 1 GB budget
    with limits_set(max_memory=1e9):
        assert momentum_laws(linear_network(2, 1, 2), 2, lost=False).laws == ()  # a small one runs (control)
