"""Named tolerances of the Lu et al. tests, each with the reason for its value.

(Module name is unique across the repository because test directories share sys.path.)
"""

from theory.numeric import slopes as _slopes

# Observed order of the identity drift vs the learning rate at a fixed horizon.  Gradient
# descent is a first-order (Euler) discretisation of the flow: drift = C*eta + O(eta^2).  With
# rates 0.8/0.4/0.2 the O(eta^2) part moves the fitted slope by a few percent (measured 0.99 -
# 1.01 at full size); 0.15 rejects O(sqrt eta) (0.5) and O(1) (0) behaviour.
SLOPE_TOL = 0.15

# Negative control (query trained): the drift is O(1) in eta, so its fitted slope stays far
# below 1 (measured -0.01).  Must be below the library's threshold (one value for every
# negative control, with its reason in theory.numeric.slopes) ...
CONTROL_MAX_SLOPE = _slopes.CONTROL_MAX_SLOPE
# ... and at the smallest rate exceed the fixed-query drift by at least this factor (measured
# 60x-2000x); a control that only doubles the drift would not prove anything.
CONTROL_MIN_RATIO = 10.0

# Fast path (one global exponent shift) vs exact per-sentence shift: the same sums in a
# different order and scaling, ~20 floating-point operations per entry -> a few hundred eps.
PATH_RTOL = 1e-11

# Finite-difference check: the per-coordinate bound of theory.numeric.finite_diff
# (truncation h^2 F3/6 + rounding eps_f |f|/h at h = eps^(1/3) max(1,|x|)) times this safety
# factor; F3 is estimated by that module from the size of f (the loss here is O(1) and its
# third derivatives are O(1) on unit-scale parameters).
FD_SAFETY = 10.0
# A gradient bug must show up as an error at least this many times the bound (negative control).
FD_BUG_FACTOR = 100.0
