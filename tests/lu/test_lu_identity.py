"""The core-derived identity on gradient-descent trajectories: O(eta) drift, negative control.

Reduced synthetic data (the paper's layout with 500 sentences, 200 non-topic words) keeps
the runs to a second each; the CLI and docs/lu.md report the full-size figures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from lu_tol import CONTROL_MAX_SLOPE, CONTROL_MIN_RATIO, SLOPE_TOL

from theory.lu.data import make_synthetic
from theory.lu.identity import CoreIdentityUnavailable, compile_identity, core_identity
from theory.lu.synthetic import identity_study

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def ident():
    return core_identity()


@pytest.fixture(scope="module")
def small():
    return make_synthetic(n_sentences=500, n_nontopic=200, m=20, seed=1)


@given(st.floats(0.01, 4.0), st.floats(0.0, 9.0), st.floats(-3.0, 6.0), st.floats(-2.0, 2.0), st.integers(1, 60))
def test_lu_core_invariant_is_the_papers_formula(ident, q2, w2, s, s0, m) -> None:
    """Oracle typed from REFERENCE.md section 2 (independent of the core's derivation)."""
    paper = q2 * w2 - 2 * s - (2 / m) * math.exp(s - s0)
    assert float(ident.invariant(q2, w2, s, s0, m)) == pytest.approx(paper, rel=1e-12, abs=1e-12)
    if s >= 0:
        curve = math.sqrt(2 * (s + math.expm1(s) / m))
        # the core writes the radicand as 2 s + 2 e^s/m - 2/m: near s = 0 the last two terms
        # cancel, an absolute error ~4 eps (e^s + 1)/m in the radicand, halved by the sqrt
        cancel = 4 * 2.3e-16 * (math.exp(s) + 1) / m / (2 * max(curve, 1e-300))
        assert float(ident.curve(s, m)) == pytest.approx(curve, rel=1e-12, abs=cancel + 1e-15)


def test_lu_compile_identity_rejects_foreign_symbols() -> None:
    x, s_t, m = sp.symbols("x s_t m")
    with pytest.raises(CoreIdentityUnavailable, match="x"):
        compile_identity(x + s_t, s_t / m, "test")


@pytest.mark.parametrize("classifier", ["FC", "TC", "TL"])
def test_lu_identity_drift_is_first_order_in_the_rate(ident, small, classifier: str) -> None:
    rep, hist = identity_study(small, classifier, ident, lrs=(0.8, 0.4, 0.2), horizon=150.0, seed=1)
    assert abs(rep["slope"] - 1.0) < SLOPE_TOL, rep
    assert np.all(np.diff(rep["max_abs_drift"]) < 0)
    # the run got somewhere: scores moved well beyond the drift (not a trivially flat run)
    assert min(rep["final_scores"]) > 10 * rep["max_abs_drift"][-1]
    # side conditions held exactly (frozen words at w = 0, k = 0)
    assert hist.other_score_absmax.max() == 0.0 and hist.other_w_max.max() == 0.0


@pytest.mark.parametrize("classifier", ["FC", "TL"])
def test_lu_trained_query_breaks_the_identity(ident, small, classifier: str) -> None:
    """Negative control: the same check must fail when q is trained."""
    fixed, _ = identity_study(small, classifier, ident, lrs=(0.8, 0.4, 0.2), horizon=150.0, seed=1)
    ctrl, _ = identity_study(small, classifier, ident, lrs=(0.8, 0.4, 0.2), horizon=150.0, seed=1, train_query=True)
    assert ctrl["slope"] < CONTROL_MAX_SLOPE
    assert abs(ctrl["slope"] - 1.0) >= SLOPE_TOL  # the positive check would reject it
    assert ctrl["max_rel_drift"][-1] > CONTROL_MIN_RATIO * fixed["max_rel_drift"][-1]


def test_lu_trainable_nontopic_words_make_the_identity_approximate(ident, small) -> None:
    """Side conditions violated: the drift is larger and no longer O(eta) (it levels off)."""
    kw = {"lrs": (0.8, 0.4, 0.2), "horizon": 150.0, "seed": 1}
    exact, _ = identity_study(small, "FC", ident, **kw)
    approx, hist = identity_study(small, "FC", ident, frozen_nontopic=False, **kw)
    assert hist.other_w_max[-1] > 0.0  # the non-topic words did move
    assert approx["max_abs_drift"][-1] > 3 * exact["max_abs_drift"][-1]
    assert approx["slope"] < 1.0 - SLOPE_TOL
