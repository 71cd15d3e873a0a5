"""Linear activation: closed form vs an independent ODE solve; blow-up; the first integral G_mu."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from joma_tol import BLOWUP_REL, CLOSED_FORM_REL, FIRST_INTEGRAL_ABS, G_QUAD_ABS, NEGATIVE_CONTROL_MIN
from scipy import integrate

from theory.dynamics.closed_forms import (
    PoleCrossingError,
    blowup_time,
    first_integral,
    first_integral_quad,
    linear_closed_form,
)
from theory.dynamics.linear_case import linear_check
from theory.dynamics.reduced import linear_rhs_symbolic, logit_law

deltas = st.floats(min_value=0.2, max_value=3.0) | st.floats(min_value=-3.0, max_value=-0.2)


def _paper_rhs(t: float, v: np.ndarray, d: float) -> np.ndarray:
    # REFERENCE.md sec. 1, typed here as the *independent* reference: v' = Delta exp(v^2/2)
    return d * np.exp(v**2 / 2)


def test_logit_law_is_proved_and_is_the_paper_invariant() -> None:
    law = logit_law(2)
    assert law.verdict == "proved"
    v = np.array([[0.3, -1.2], [0.7, 2.0]])
    # paper: z - (r/2T) sum_k v_k^2 = c   (checked at T = 0.7, r = 1.3, c = 0.4)
    expected = 0.4 + 1.3 / (2 * 0.7) * (v**2).sum(axis=0)
    assert np.allclose(law(v, c=0.4, T=0.7, r=1.3), expected, rtol=1e-14)


def test_reduced_linear_rhs_is_delta_exp_half_v_squared() -> None:
    rhs, v, d = linear_rhs_symbolic()
    names = {s.name: s for s in rhs.free_symbols}
    val = float(rhs.subs({v: 0.9, d: -1.3, names["T"]: 1, names["eta_w"]: 1, names["eta_z"]: 1}))
    assert val == pytest.approx(-1.3 * math.exp(0.81 / 2), rel=1e-14)


@given(deltas)
def test_closed_form_matches_ode(d: float) -> None:
    t_star = math.sqrt(math.pi / 2) / abs(d)
    t = np.linspace(0, 0.9 * t_star, 50)
    sol = integrate.solve_ivp(
        _paper_rhs, (0, t[-1]), [0.0], args=(d,), t_eval=t, rtol=1e-12, atol=1e-14, method="DOP853"
    )
    cf = linear_closed_form(d, t)
    assert np.max(np.abs(sol.y[0] - cf) / np.maximum(1, np.abs(cf))) < CLOSED_FORM_REL


def test_closed_form_negative_control_wrong_constant_fails() -> None:
    # sqrt(2) erfinv(sqrt(2/pi) Delta t) is the answer; using 2/pi instead must be visibly off
    from scipy.special import erfinv

    d, t = 1.0, 1.0
    sol = integrate.solve_ivp(_paper_rhs, (0, t), [0.0], args=(d,), rtol=1e-12, atol=1e-14, method="DOP853")
    wrong = math.sqrt(2) * erfinv(2 / math.pi * d * t)
    assert abs(sol.y[0, -1] - wrong) > NEGATIVE_CONTROL_MIN


@given(deltas)
def test_blowup_time_matches_ode_event(d: float) -> None:
    expected = math.sqrt(math.pi / 2) / abs(d)
    assert float(blowup_time(d)) == pytest.approx(expected, rel=1e-14)

    def hit(t: float, v: np.ndarray, d: float) -> float:
        return abs(v[0]) - 5.0

    hit.terminal = True
    sol = integrate.solve_ivp(
        _paper_rhs, (0, 2 * expected), [0.0], args=(d,), events=hit, rtol=1e-12, atol=1e-14, method="DOP853"
    )
    # |v| = 5 is reached at sqrt(pi/2) erf(5/sqrt2)/|Delta|, within 6e-7 relative of t*
    t5 = math.sqrt(math.pi / 2) * math.erf(5 / math.sqrt(2)) / abs(d)
    assert sol.t_events[0][0] == pytest.approx(t5, rel=BLOWUP_REL)
    assert 0 < expected - t5 < 1e-6 * expected
    assert np.isnan(linear_closed_form(d, 1.01 * expected))


def test_linear_check_salient_first_and_entropy_only_falls() -> None:
    res = linear_check(np.array([0.4, -2.5, 1.0, 0.7]))
    assert res["max_rel_error"] < CLOSED_FORM_REL
    assert res["blowup_order"] == [1, 2, 3, 0]  # largest |Delta| first
    assert res["salient_first"]
    assert res["entropy"]["only_falls"] and not res["entropy"]["drop_then_rise"]


@given(st.floats(0.5, 4.0), st.floats(0.05, 0.95), st.floats(0.1, 1.0))
def test_first_integral_gl_matches_quad(mu: float, frac: float, a: float) -> None:
    v = frac * mu
    assert float(first_integral(v, mu, a=a, v0=0.05 * mu)) == pytest.approx(
        first_integral_quad(v, mu, a=a, v0=0.05 * mu), abs=G_QUAD_ABS
    )


def test_first_integral_along_ode_and_negative_controls() -> None:
    mu = np.array([1.0, 2.0, 3.5])
    a = 0.5

    def rhs(t: float, v: np.ndarray) -> np.ndarray:  # v' = (mu - v) exp(a v^2), s = 1
        return (mu - v) * np.exp(a * v**2)

    t = np.linspace(0, 0.6, 61)
    sol = integrate.solve_ivp(rhs, (0, t[-1]), np.zeros(3), t_eval=t, rtol=1e-10, atol=1e-12, method="DOP853")
    v = sol.y.T
    ok = np.all(np.abs(mu - v) > 1e-3, axis=1)
    G = first_integral(v[ok], mu, a=a)
    assert np.max(np.abs(G - t[ok, None])) < FIRST_INTEGRAL_ABS
    # negative controls: wrong exponent, or a shifted target mu
    assert np.max(np.abs(first_integral(v[ok], mu, a=2 * a) - t[ok, None])) > NEGATIVE_CONTROL_MIN
    assert np.max(np.abs(first_integral(v[ok], mu + 0.5, a=a) - t[ok, None])) > NEGATIVE_CONTROL_MIN


def test_pole_crossing_raises() -> None:
    with pytest.raises(PoleCrossingError):
        first_integral(1.5, 1.0)
    with pytest.raises(PoleCrossingError):
        first_integral(1.0, 1.0)
    with pytest.raises(PoleCrossingError):
        first_integral_quad(2.0, 1.0)


def test_general_closed_form_reduces_to_the_catalogue_entry() -> None:
    # our (T, r)-general derivation at T = r = eta_w = 1 vs the catalogue's joma-linear-closed-form
    import sympy as sp
    from theory.derivations import joma_linear_closed_form as cat

    from theory.dynamics.closed_forms import linear_closed_form_symbolic

    ours = linear_closed_form_symbolic()
    ones = {s: 1 for e in ours.values() for s in e.free_symbols if s.name in ("T", "eta_w", "eta_z")}
    rename = {
        s: sp.Symbol(s.name, positive=True) for e in ours.values() for s in e.free_symbols if s.name in ("Delta", "t")
    }
    theirs_v = cat.closed_form()
    mine_v = ours["v"].subs(ones).subs(rename)
    by_name = {s.name: s for s in theirs_v.free_symbols}
    mine_v = mine_v.subs({s: by_name[s.name] for s in mine_v.free_symbols})
    assert sp.simplify(mine_v - theirs_v) == 0
    mine_t = ours["t_star"].subs(ones).subs(rename)
    theirs_t = cat.blow_up_time()
    by_name = {s.name: s for s in theirs_t.free_symbols}
    assert sp.simplify(mine_t.subs({s: by_name[s.name] for s in mine_t.free_symbols}) - theirs_t) == 0


def test_catalogue_invariant_equals_the_discovered_one() -> None:
    import sympy as sp
    from theory.derivations import joma_exp

    from theory.models import joma_block
    from theory.symbolic import derive_flow, integrate_ratio

    spec = joma_block(2, 2, 1, attention="exp")
    s = spec.symbols
    found = integrate_ratio(derive_flow(spec), s["z1"], (s["v1_1"] ** 2 + s["v2_1"] ** 2) / 2)
    assert sp.simplify(found.quantity - joma_exp.invariant(spec)[0]) == 0
