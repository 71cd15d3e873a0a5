"""Named tolerances of the numeric tests, each with the reason for its size.

Tests import it as ``from num_tol import ...`` (pytest puts this directory on ``sys.path``;
the name is unique across the repository so it cannot collide with other test helpers).
"""

from __future__ import annotations

import numpy as np

from theory.numeric import slopes as _slopes

EPS = float(np.finfo(float).eps)

#: Complex step: no cancellation, truncation O(h^2) with h = 1e-20, so the only error is the
#: rounding inside f: a few ulps relative to the gradient's size.
COMPLEX_STEP_RTOL = 64 * EPS

#: Central differences: the error model gives ~ eps^(2/3) |f| ~ 4e-11 |f| at the optimal step;
#: tests compare against ``central_error_bound`` itself, with this safety factor on top for the
#: constant in the third-derivative estimate.
CENTRAL_SAFETY = 4.0

#: A gradient deliberately perturbed by this relative amount must be flagged (negative control):
#: it is 1e4 times the central-difference error model, so the check cannot pass by luck.
PLANTED_GRADIENT_ERROR = 1e-6

#: Log-log slopes of drift against eta: first-order GD drift has slope 1; the oracle accepts
#: [0.8, 1.2] (the issue's band) since at finite eta the O(eta^2) term bends the line slightly.
#: Negative controls drift O(1): their slope must stay below CONTROL_MAX_SLOPE.  One value each for
#: the whole project, with the reasons, in theory.numeric.slopes.
SLOPE_BAND = _slopes.SLOPE_BAND
CONTROL_MAX_SLOPE = _slopes.CONTROL_MAX_SLOPE

#: The exact per-step GD drift identities (exp and linear attention) hold up to rounding of
#: the quantities involved: relative tolerance of a few hundred ulps of |z| and sum v^2.
PER_STEP_RTOL = 1e3 * EPS

#: Golden tests: compiled NumPy vs SymPy evalf at fixed points (rounding of cse'd expressions).
GOLDEN_RTOL = 1e-11

#: ODE: DOP853 with rtol=1e-10, atol=1e-12 -> invariant drift over the horizon stays below this.
ODE_INVARIANT_ATOL = 1e-7
