"""Scaling laws ``L(N, D) = E + A / N^alpha + B / D^beta`` with versioned, cited constants.

Role: predicted pre-training loss, its uncertainty, the compute-optimal allocation for a
budget ``C ~ 6 N D`` FLOPs, and warnings outside each fit's range.

Constant sets (:data:`LAWS`):

* ``hoffmann2022`` - Hoffmann et al. (2022), "Training Compute-Optimal Large Language
  Models", eq. 10 as printed (rounded): E = 1.69, A = 406.4, B = 410.7, alpha = 0.34,
  beta = 0.28.
* ``hoffmann2022-precise`` - the same fit with the unrounded exponents of the paper's TeX
  source as reported by Besiroglu et al. (2024): E = 1.6934, alpha = 0.3392, beta = 0.2849.
* ``besiroglu2024`` - Besiroglu, Erdil, Barnett, You (2024), "Chinchilla Scaling: A
  replication attempt" (arXiv:2404.10102), refit on data reconstructed from Hoffmann et
  al.'s figure, with standard errors: E = 1.8172 (0.03), A = 482.01 (124.58),
  B = 2085.43 (1293.23), alpha = 0.3478 (0.02), beta = 0.3658 (0.02).
* ``muennighoff2023`` - Muennighoff et al. (2023), "Scaling Data-Constrained Language
  Models" (NeurIPS), C4 fit with alpha = beta tied: E = exp(0.6254804) ~ 1.87,
  A = exp(6.255414) ~ 521, B = exp(7.3049974) ~ 1488, alpha = beta = 0.3526596, and
  repetition constants R*_D = 15.387756, R*_N = 5.309743 (values as in the authors'
  released fitting code, huggingface/datablations).  With ``U_D`` unique tokens,
  ``R_D = D / U_D - 1`` repeated epochs and the effective data

  .. math:: D' = U_D + U_D R^*_D \\left(1 - e^{-R_D / R^*_D}\\right),

  and likewise ``N' = U_N + U_N R^*_N (1 - e^{-R_N/R^*_N})`` with ``U_N`` the
  compute-optimal size for ``U_D`` tokens and ``R_N = N / U_N - 1`` excess parameters.

Compute-optimal allocation (derivation).  Minimise :math:`f = A N^{-\\alpha} + B D^{-\\beta}`
on :math:`6 N D = C`: substitute :math:`D = C / (6N)` and set :math:`f'(N) = 0`,

.. math::

    -\\alpha A N^{-\\alpha - 1} + \\beta B (C/6)^{-\\beta} N^{\\beta - 1} = 0
    \\;\\Longrightarrow\\;
    N^* = G \\left(\\frac{C}{6}\\right)^{\\beta/(\\alpha+\\beta)}, \\quad
    D^* = G^{-1} \\left(\\frac{C}{6}\\right)^{\\alpha/(\\alpha+\\beta)}, \\quad
    G = \\left(\\frac{\\alpha A}{\\beta B}\\right)^{1/(\\alpha+\\beta)} ,

(Hoffmann et al. 2022, section 3); :math:`f''(N) > 0` so it is the minimum.  ``E`` does not
move the optimum.  The test-suite re-derives this with SymPy and cross-checks it with
``scipy.optimize``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidArgument, UnknownNameError

__all__ = [
    "LAWS",
    "ExtrapolationWarning",
    "ScalingLaw",
    "compute_optimal",
    "compute_optimal_numeric",
    "effective_data",
    "get_law",
    "loss_uncertainty",
    "predict_loss",
    "range_warnings",
]


class ExtrapolationWarning(UserWarning):
    """N or D lies outside the range the law was fitted on."""


@dataclass(frozen=True)
class ScalingLaw:
    """One versioned constant set; ``stderr`` maps parameter names to standard errors."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    citation: str
    n_range: tuple[float, float]
    d_range: tuple[float, float]
    stderr: dict[str, float] = field(default_factory=dict)
    r_star_d: float | None = None
    r_star_n: float | None = None
    note: str = ""

    @property
    def G(self) -> float:
        """:math:`(\\alpha A / (\\beta B))^{1/(\\alpha+\\beta)}`."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def to_dict(self) -> dict:
        """JSON-able constants and provenance."""
        return {
            "name": self.name,
            "E": self.E,
            "A": self.A,
            "B": self.B,
            "alpha": self.alpha,
            "beta": self.beta,
            "stderr": dict(self.stderr),
            "R_star_D": self.r_star_d,
            "R_star_N": self.r_star_n,
            "fit_range_params": list(self.n_range),
            "fit_range_tokens": list(self.d_range),
            "citation": self.citation,
            "note": self.note,
        }


_HOFF_CITE = "Hoffmann et al. (2022), Training Compute-Optimal Large Language Models, arXiv:2203.15556"
_HOFF_N, _HOFF_D = (7e7, 1.6e10), (5e9, 5e11)  # 400+ models, 70M..16B params, 5B..500B tokens

LAWS: dict[str, ScalingLaw] = {
    "hoffmann2022": ScalingLaw(
        "hoffmann2022", 1.69, 406.4, 410.7, 0.34, 0.28, _HOFF_CITE + " (rounded values as printed)",
        _HOFF_N, _HOFF_D,
        note="as printed; Besiroglu et al. (2024) show the rounding biases predictions",
    ),
    "hoffmann2022-precise": ScalingLaw(
        "hoffmann2022-precise", 1.6934, 406.4, 410.7, 0.3392, 0.2849,
        _HOFF_CITE + " (unrounded TeX-source values, as reported by Besiroglu et al. 2024)",
        _HOFF_N, _HOFF_D,
    ),
    "besiroglu2024": ScalingLaw(
        "besiroglu2024", 1.8172, 482.01, 2085.43, 0.3478, 0.3658,
        "Besiroglu, Erdil, Barnett, You (2024), Chinchilla Scaling: A replication attempt, "
        "arXiv:2404.10102",
        _HOFF_N, _HOFF_D,
        stderr={"E": 0.03, "A": 124.58, "B": 1293.23, "alpha": 0.02, "beta": 0.02},
        note="refit on data reconstructed from Hoffmann et al.'s figure",
    ),
    "muennighoff2023": ScalingLaw(
        "muennighoff2023", math.exp(0.6254804), math.exp(6.255414), math.exp(7.3049974),
        0.3526596, 0.3526596,
        "Muennighoff et al. (2023), Scaling Data-Constrained Language Models, NeurIPS, "
        "arXiv:2305.16264 (constants from the authors' datablations code)",
        (7e6, 9e9), (1e8, 9e11),
        r_star_d=15.387756, r_star_n=5.309743,
        note="alpha = beta tied in the fit; repeated data discounted through R*_D, R*_N",
    ),
}  # fmt: skip


def get_law(name: str) -> ScalingLaw:
    """Look a law up by name (``hoffmann2022``, ``besiroglu2024``, ...)."""
    try:
        return LAWS[name]
    except KeyError:
        raise UnknownNameError(f"unknown scaling law {name!r}; expected one of: {', '.join(LAWS)}") from None


def _positive(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name} must be a positive number, got {name}={value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidArgument(f"{name} must be a positive finite number, got {name}={value!r}")
    return v


def range_warnings(law: ScalingLaw, n_params: float, tokens: float) -> list[str]:
    """Messages for N or D outside the law's fit range (empty when inside)."""
    out = []
    lo, hi = law.n_range
    if not lo <= n_params <= hi:
        out.append(
            f"{law.name}: N={n_params:.3g} parameters is outside the fit range "
            f"[{lo:.2g}, {hi:.2g}]; the prediction is an extrapolation"
        )
    lo, hi = law.d_range
    if not lo <= tokens <= hi:
        out.append(
            f"{law.name}: D={tokens:.3g} tokens is outside the fit range "
            f"[{lo:.2g}, {hi:.2g}]; the prediction is an extrapolation"
        )
    return out


def effective_data(law: ScalingLaw, n_params: float, tokens: float, unique_tokens: float | None):
    """``(N', D', R_N, R_D)`` of Muennighoff et al. (2023); identity without repetition."""
    if unique_tokens is None or law.r_star_d is None or law.r_star_n is None:
        return n_params, tokens, 0.0, 0.0
    u_d = min(unique_tokens, tokens)
    r_d = tokens / u_d - 1.0
    d_eff = u_d + u_d * law.r_star_d * (1.0 - math.exp(-r_d / law.r_star_d))
    # compute-optimal N for D = U_D: from D* = G^-1 (C/6)^(a/(a+b)) => N = G (G U_D)^(b/a)
    u_n = min(n_params, law.G * (law.G * u_d) ** (law.beta / law.alpha))
    r_n = n_params / u_n - 1.0
    n_eff = u_n + u_n * law.r_star_n * (1.0 - math.exp(-r_n / law.r_star_n))
    return n_eff, d_eff, r_n, r_d


def predict_loss(
    law: ScalingLaw | str,
    n_params: float,
    tokens: float,
    *,
    unique_tokens: float | None = None,
    warn: bool = True,
) -> dict:
    """Predicted loss with provenance, effective N and D, and range warnings.

    ``unique_tokens`` only matters for laws with repetition constants (muennighoff2023);
    for the others a note says repeated data is not modelled.
    """
    law = get_law(law) if isinstance(law, str) else law
    n = _positive("params", n_params)
    d = _positive("tokens", tokens)
    u = None if unique_tokens is None else _positive("unique_tokens", unique_tokens)
    n_eff, d_eff, r_n, r_d = effective_data(law, n, d, u)
    loss = law.E + law.A / n_eff**law.alpha + law.B / d_eff**law.beta
    notes = range_warnings(law, n, d)
    if u is not None and u < d and law.r_star_d is None:
        notes.append(f"{law.name} does not model repeated data ({d / u:.2g} epochs); use --law muennighoff2023")
    if warn:
        for msg in notes:
            warnings.warn(msg, ExtrapolationWarning, stacklevel=2)
    return {
        "law": law.name,
        "loss": loss,
        "stderr": loss_uncertainty(law, n_eff, d_eff),
        "params": n,
        "tokens": d,
        "unique_tokens": u,
        "effective_params": n_eff,
        "effective_tokens": d_eff,
        "epochs": (d / u) if u else 1.0,
        "repetitions_RD": r_d,
        "excess_params_RN": r_n,
        "tokens_per_param": d / n,
        "warnings": notes,
    }


def loss_uncertainty(law: ScalingLaw, n_params: float, tokens: float) -> float | None:
    """Delta-method standard error of the predicted loss from the published standard errors.

    Parameters are treated as independent (no covariance is published), which overstates
    the error where A and alpha (B and beta) are strongly correlated.  ``None`` when the
    law publishes no standard errors.
    """
    if not law.stderr:
        return None
    ln_n, ln_d = math.log(n_params), math.log(tokens)
    tn, td = law.A * n_params**-law.alpha, law.B * tokens**-law.beta
    grads = {
        "E": 1.0,
        "A": tn / law.A,
        "B": td / law.B,
        "alpha": -ln_n * tn,
        "beta": -ln_d * td,
    }
    return math.sqrt(sum((grads[k] * s) ** 2 for k, s in law.stderr.items()))


def compute_optimal(law: ScalingLaw | str, budget: float) -> dict:
    """Closed-form compute-optimal ``N*``, ``D*`` for ``C = 6 N D`` (module docstring)."""
    law = get_law(law) if isinstance(law, str) else law
    c = _positive("budget", budget)
    x = c / 6.0
    n_opt = law.G * x ** (law.beta / (law.alpha + law.beta))
    if not (n_opt > 0 and math.isfinite(n_opt) and math.isfinite(x / n_opt) and x / n_opt > 0):
        raise InvalidArgument(
            f"budget={budget:g} FLOPs is outside what floating point can solve for N*, D* (they underflow or "
            "overflow); pass a budget such as 1e21"
        )
    d_opt = x / n_opt
    return {
        "law": law.name,
        "budget_flops": c,
        "params": n_opt,
        "tokens": d_opt,
        "tokens_per_param": d_opt / n_opt,
        "loss": law.E + law.A / n_opt**law.alpha + law.B / d_opt**law.beta,
        "warnings": range_warnings(law, n_opt, d_opt),
    }


def compute_optimal_numeric(law: ScalingLaw | str, budget: float, *, unique_tokens: float | None = None) -> dict:
    """Numerical optimum over ``log N`` (``scipy.optimize``), optionally data-constrained.

    Without ``unique_tokens`` it must agree with :func:`compute_optimal` (tested); with
    it, the Muennighoff et al. effective-data loss is minimised on ``6 N D = C``.
    """
    from scipy.optimize import minimize_scalar

    law = get_law(law) if isinstance(law, str) else law
    c = _positive("budget", budget)
    u = None if unique_tokens is None else _positive("unique_tokens", unique_tokens)
    x = c / 6.0
    lo, hi = math.log(1e3), math.log(x / 1e3)  # N >= 1e3 and D >= 1e3: no closed-form seed
    if lo >= hi:
        raise InvalidArgument(f"budget={c:.3g} FLOPs is too small (need C > 6e6)")

    def objective(log_n: float) -> float:
        n = math.exp(log_n)
        n_eff, d_eff, _, _ = effective_data(law, n, x / n, u)
        return law.A / n_eff**law.alpha + law.B / d_eff**law.beta

    res = minimize_scalar(
        objective, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10},
    )  # fmt: skip
    n_opt = float(np.exp(res.x))
    d_opt = x / n_opt
    return {
        "law": law.name,
        "budget_flops": c,
        "params": n_opt,
        "tokens": d_opt,
        "tokens_per_param": d_opt / n_opt,
        "unique_tokens": u,
        "loss": law.E + float(res.fun),
        "warnings": range_warnings(law, n_opt, d_opt),
    }
