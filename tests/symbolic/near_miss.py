"""The near-miss corpus of the prover (issue: a verdict you can trust).

``NEAR_MISS``: quantities that are *not* conserved but come within a hair of it: tiny
coefficients, scaled terms, terms negligible on a moderate range, terms that vanish on integer
or small-denominator rational grids, quantities true only at one size.  Each must come back
``refuted`` (with a witness) or honestly ``unproven``; ``proved`` is a soundness failure.

``TRUE_FORMS``: conserved quantities written in unusual forms (functions, products, ratios of
invariants, disguised constants); each must come back ``proved``.

Each case is ``(id, model, sizes, quantity)``; ``sizes`` is the ``--sizes`` text or ``None``.
"""

from __future__ import annotations

#: JoMA exp invariant, linear invariant, second exp component, and the Lu et al. identity.
EXP = "(z1 - r/(2*T)*v1_1^2)"
EXP2 = "(z2 - r/(2*T)*v1_2^2)"
LIN = "(z1^2 - r*v1_1^2)"
LU = "((q1^2+q2^2)*wnorm2 - 2*s_t - (2/m)*exp(s_t-s_0))"

NEAR_MISS: list[tuple[str, str, str | None, str]] = [
    # the cases reported in the issue
    ("exp-1e-40-z", "joma-exp", None, f"{EXP} + 1e-40*z1"),
    ("exp-scaled-1e-40", "joma-exp", None, "z1 - (1+1e-40)*r/(2*T)*v1_1^2"),
    ("exp-gaussian-1e6", "joma-exp", None, f"{EXP} + exp(-1000000*v1_1^2)"),
    ("exp-sin-grid", "joma-exp", None, f"{EXP} + sin(232792560*pi*v1_1)^2"),
    ("linear-1e-38-z", "joma-linear", None, f"{LIN} + 1e-38*z1"),
    ("lu-1e-40-s", "lu", None, f"{LU} + 1e-40*s_t"),
    # tiny coefficients, 1e-12 .. 1e-60
    ("exp-1e-12-z", "joma-exp", None, f"{EXP} + 1e-12*z1"),
    ("exp-1e-20-v", "joma-exp", None, f"{EXP} + 1e-20*v1_1"),
    ("exp-1e-30-v2", "joma-exp", None, f"{EXP} + 1e-30*v1_2^2"),
    ("exp-1e-50-z2", "joma-exp", None, f"{EXP} + 1e-50*z2"),
    ("exp-1e-60-z", "joma-exp", None, f"{EXP} + 1e-60*z1"),
    ("exp-1e-45-vm", "joma-exp", None, f"{EXP} + 1e-45*vm1"),
    ("exp-1e-40-expz", "joma-exp", None, f"{EXP} + 1e-40*exp(z1/T)"),
    ("linear-1e-55-v", "joma-linear", None, f"{LIN} + 1e-55*v1_1"),
    ("lu-1e-50-kt", "lu", None, f"{LU} + 1e-50*kt1"),
    ("lu-1e-35-w2", "lu", None, f"{LU} + 1e-35*wnorm2"),
    # scaled terms: a factor 1 +- tiny on one term only
    ("exp-scale-z", "joma-exp", None, "(1+1e-45)*z1 - r/(2*T)*v1_1^2"),
    ("exp-scale-1e-15", "joma-exp", None, "z1 - (1-1e-15)*r/(2*T)*v1_1^2"),
    ("exp-scale-T", "joma-exp", None, "z1 - r/(2*T*(1+1e-50))*v1_1^2"),
    ("linear-scale", "joma-linear", None, "z1^2 - (1+1e-30)*r*v1_1^2"),
    ("lu-scale-exp", "lu", None, "qnorm2*wnorm2 - 2*s_t - (2/m)*(1+1e-40)*exp(s_t-s_0)"),
    ("lu-scale-s", "lu", None, "qnorm2*wnorm2 - (2+1e-40)*s_t - (2/m)*exp(s_t-s_0)"),
    # tiny inside a function
    ("exp-tanh-tiny", "joma-exp", None, f"{EXP} + tanh(1e-30*z1)"),
    ("exp-erf-tiny", "joma-exp", None, f"{EXP} + erf(1e-25*v1_1)"),
    ("exp-log-tiny", "joma-exp", None, f"{EXP} + log(1 + 1e-35*z1^2)"),
    ("exp-sqrt-tiny", "joma-exp", None, f"{EXP} + sqrt(1 + 1e-40*z1^2)"),
    ("exp-of-tiny", "joma-exp", None, f"{EXP} + exp(1e-40*v1_1)"),
    # terms negligible on a moderate range
    ("exp-gaussian-z", "joma-exp", None, f"{EXP} + exp(-1000*z1^2)"),
    ("exp-gaussian-1e4", "joma-exp", None, f"{EXP} + exp(-10000*v1_2^2)"),
    ("exp-decay-T", "joma-exp", None, f"{EXP} + exp(-200/T)*z1"),
    ("linear-gaussian", "joma-linear", None, f"{LIN} + exp(-100000*z1^2)"),
    ("lu-gaussian", "lu", None, f"{LU} + exp(-1000000*kt1^2)"),
    # terms that vanish on integer or small-denominator rational grids
    ("exp-sin-int", "joma-exp", None, f"{EXP} + sin(pi*z1)^2"),
    ("exp-sin-720720", "joma-exp", None, f"{EXP} + sin(720720*pi*z1)"),
    ("exp-cos-grid", "joma-exp", None, f"{EXP} + cos(2*232792560*pi*v1_1)"),
    ("linear-sin-grid", "joma-linear", None, f"{LIN} + sin(232792560*pi*v1_1)^2"),
    ("lu-sin-grid", "lu", None, f"{LU} + sin(232792560*pi*wt1)^2"),
    # true only at one size
    ("softmax-z-M2", "joma-softmax", "M=2,K=1,N=1", "z1"),
    ("softmax-z-M3", "joma-softmax", "M=3,K=1,N=1", "z1"),
    ("exp-one-node-K2", "joma-exp", "M=1,K=2,N=1", "z1 - r/(2*T)*v1_1^2"),
    ("linear-one-node-K2", "joma-linear", "M=1,K=2,N=1", "z1^2 - r*v1_1^2"),
]

TRUE_FORMS: list[tuple[str, str, str | None, str]] = [
    ("exp-plain", "joma-exp", None, EXP),
    ("exp-exp", "joma-exp", None, f"exp({EXP})"),
    ("exp-ratio-1+I2", "joma-exp", None, f"{EXP}/(1+{EXP}^2)"),
    ("exp-product", "joma-exp", None, f"{EXP}*{EXP2}"),
    ("exp-ratio", "joma-exp", None, f"{EXP}/(1+{EXP2}^2)"),
    ("exp-tanh", "joma-exp", None, f"tanh({EXP}) + sqrt(1+{EXP2}^2)"),
    ("exp-disguised-1", "joma-exp", None, f"{EXP} + (z1+1)^2 - z1^2 - 2*z1"),
    ("exp-trig-1", "joma-exp", None, "sin(z1)^2 + cos(z1)^2"),
    ("exp-cube", "joma-exp", None, f"{EXP}^3 - 3*{EXP2}"),
    ("linear-exp", "joma-linear", None, f"exp({LIN})"),
    ("linear-log", "joma-linear", None, f"log(1+{LIN}^2)"),
    ("softmax-z-M1", "joma-softmax", "M=1,K=1,N=1", "z1"),
    ("lu-plain", "lu", None, LU),
    ("lu-ratio", "lu", None, f"{LU}/(1+{LU}^2)"),
    ("lu-exp", "lu", None, f"exp({LU})"),
    ("lu-poly", "lu", None, f"{LU}^2 + 3*{LU}"),
]
