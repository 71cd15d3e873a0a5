"""Tolerances of the symbolic tests, each with its reason.

FD_STEP, FD_TOL: an independent check of a counterexample differentiates Q along the flow by a
central difference at 50 significant digits.  The truncation error is O(h^2 |Q'''|) ~ 1e-40 for
h = 1e-20 and O(1) third derivatives; rounding is 1e-50 / h = 1e-30.  1e-20 relative leaves a
margin of ten orders of magnitude over both while still being far below any real |dQ/dt|.

FLOW_FD_TOL: the derived flow of a concrete model is compared with a central finite difference
of the loss in double precision, h = 1e-6: truncation O(h^2) ~ 1e-12, rounding O(eps/h) ~ 1e-10.
"""

FD_DIGITS = 50
FD_STEP = "1e-20"
FD_TOL = 1e-20
FLOW_FD_STEP = 1e-6
FLOW_FD_TOL = 1e-7

# WITNESS_DIGITS, WITNESS_RTOL: a witness value is re-evaluated by SymPy's evalf in strict mode
# (it raises instead of returning digits it cannot certify) to 40 digits; the prover reports 30
# certified digits, so agreement to 1e-25 relative leaves five digits for the last-digit
# rounding of the reported string.
WITNESS_DIGITS = 40
WITNESS_RTOL = 1e-25
