"""The sparse-then-dense experiment on the reduced dynamics (JoMA, Sec. 5 and Fig. 4).

Role: run the JoMA code setting -- :math:`v \\leftarrow v + \\eta(\\mu - v)\\circ
\\mathrm{softmax}(v^2/T)`, :math:`T = 3`, :math:`v(0) = 0.05`, :math:`\\mu` sorted uniform in
:math:`[1, 4)`, :math:`\\eta = 0.02`, 5000 steps -- and its ODE limit, measure the attention
entropy (drop, then rise toward :math:`H(\\mathrm{softmax}(\\mu^2/T))`), check the first
integral :math:`G_\\mu` along the ODE, and run the negative control (linear activation,
:math:`\\Delta = \\mu`: entropy only falls).

Mapping to the reduced model: the code's :math:`\\mathrm{softmax}(v^2/T)` is
:class:`~theory.dynamics.reduced.ReducedJoMA` with softmax attention, temperature ``T`` and
``r = 2T`` (then :math:`z(v) = v^2` by the proved invariant and :math:`a = 1/T`).

Two settings (:data:`FIG4_SETTINGS`, :func:`fig4_setting`):

* ``"paper"`` (the default of ``theory figure joma-entropy``): the published Fig. 4 script --
  :math:`d = 10` tokens, :math:`\\mu` the sorted draw ``torch.rand(10) * 3 + 1`` under
  ``torch.manual_seed(0)`` (:data:`PAPER_MU`, its ten float32 values), :math:`T = 3`,
  :math:`v(0) = 0.05`, :math:`\\eta = 0.02`, 5000 steps.  Measured with the published code
  (issue 14) its entropy goes 2.302585 -> 0.941570 at step 669 -> 1.549312 (the script records
  the entropy *before* each of its 5000 updates, so its last value is step 4999);
* ``"toolkit"``: :math:`M = 20` and :math:`\\mu` from :func:`code_mu` (NumPy seed 0), the
  toolkit's earlier setting (entropy ln 20 -> 1.781 at step 1299 -> 2.144).

Where the paper and its code disagree: the paper's reduced dynamics (Sec. 5, :math:`r = T = 1`)
has the factor :math:`e^{v^2/2}`; the code uses :math:`\\mathrm{softmax}(v^2/T)` with
:math:`T = 3` (here ``r = 2T``, :math:`a = 1/T`).  The code also computes its entropy as
:math:`-\\sum_l p_l(\\log p_l + 10^{-8})` (a shift of :math:`10^{-8}` nats, ignored here) in
float32 (its curve differs from this float64 one by up to :math:`1.2\\cdot10^{-5}`, issue 14).

Exp versus softmax attention: :math:`\\dot v = s(t) F(v)` differ only by the positive common
factor :math:`s`, so both trace the same path in :math:`v`-space with different clocks; the
entropy depth is the same, the times are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import integrate

from ..errors import InvalidArgument, SolverError, UnknownNameError
from .closed_forms import first_integral
from .entropy import EntropyShape, entropy, entropy_shape
from .reduced import ReducedJoMA

__all__ = [
    "FIG4_SETTINGS",
    "PAPER_MU",
    "Fig4Setting",
    "SparseDenseRun",
    "code_mu",
    "fig4_setting",
    "run_code_iteration",
    "run_ode",
]

RTOL = 1e-10
ATOL = 1e-12

#: The published Fig. 4 script's targets: ``torch.manual_seed(0); (torch.rand(10) * 3 + 1).sort()``,
#: the ten float32 values written out exactly (an input of the paper's run, not a result;
#: ``tests/joma/test_joma_fig4_reference.py`` regenerates them with torch when it is installed).
PAPER_MU = np.array(
    [
        1.265432357788086,
        1.3960914611816406,
        1.9222683906555176,
        2.3668839931488037,
        2.470280170440674,
        2.488769769668579,
        2.896918773651123,
        2.902235984802246,
        3.3046653270721436,
        3.6893341541290283,
    ]
)


def code_mu(M: int = 20, *, seed: int = 0, low: float = 1.0, high: float = 4.0) -> np.ndarray:
    """Targets :math:`\\mu` sorted, uniform in ``[low, high)`` (the JoMA code setting)."""
    if not isinstance(M, (int, np.integer)) or M < 2:
        raise InvalidArgument(f"expected at least 2 tokens, got M={M!r}")
    return np.sort(np.random.default_rng(seed).uniform(low, high, int(M)))


@dataclass(frozen=True)
class Fig4Setting:
    """One setting of the sparse-then-dense iteration (see the module docstring).

    Attributes
    ----------
    name : str
    mu : ndarray (M,)
        Targets, sorted.
    T, v0, eta : float
        Temperature, start value of every component, step.
    steps : int
        Updates.
    source : str
        Where the setting comes from.
    """

    name: str
    mu: np.ndarray
    T: float = 3.0
    v0: float = 0.05
    eta: float = 0.02
    steps: int = 5000
    source: str = ""

    def as_dict(self) -> dict:
        """JSON-able form."""
        return {
            "name": self.name,
            "M": int(self.mu.size),
            "mu": self.mu.tolist(),
            "T": self.T,
            "v0": self.v0,
            "eta": self.eta,
            "steps": self.steps,
            "r": 2.0 * self.T,
            "source": self.source,
        }


#: Names of the settings :func:`fig4_setting` knows (the first is the default).
FIG4_SETTINGS = ("paper", "toolkit")


def fig4_setting(name: str = "paper") -> Fig4Setting:
    """The sparse-then-dense setting ``name``: ``"paper"`` (default) or ``"toolkit"``."""
    if name == "paper":
        return Fig4Setting("paper", PAPER_MU.copy(), source="JoMA code, draw_figure_4.py (torch seed 0, d = 10)")
    if name == "toolkit":
        return Fig4Setting("toolkit", code_mu(20, seed=0), source="toolkit: M = 20, mu from NumPy seed 0")
    raise UnknownNameError(f"unknown Fig. 4 setting {name!r}; expected one of: {', '.join(FIG4_SETTINGS)}")


@dataclass(frozen=True)
class SparseDenseRun:
    """A trajectory of the reduced dynamics with its attention entropy.

    Attributes
    ----------
    t : ndarray (S,)
        Times (``step * eta`` for the iteration).
    v : ndarray (S, M)
    H : ndarray (S,)
        Entropy of the normalised attention.
    shape : EntropyShape
    H_limit : float
        :math:`H(\\mathrm{softmax}(z(\\mu)/T))`, the entropy at the fixed point
        (nonlinear) -- ``nan`` for linear activation.
    extra : dict
        Run-specific numbers (first-integral residual, ordering, ...).
    """

    t: np.ndarray
    v: np.ndarray
    H: np.ndarray
    shape: EntropyShape
    H_limit: float
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Key numbers, JSON-able (``H_limit`` is ``None`` when there is no fixed point: JSON holds no NaN)."""
        return {
            "shape": self.shape.as_dict(),
            "H_limit": float(self.H_limit) if np.isfinite(self.H_limit) else None,
            "H_uniform": float(np.log(self.v.shape[1])),
            **self.extra,
        }


def _model(mu: np.ndarray, T: float, activation: str, attention: str) -> ReducedJoMA:
    return ReducedJoMA(mu, attention=attention, activation=activation, T=T, r=2.0 * T)


def _limit(model: ReducedJoMA) -> float:
    if model.activation == "linear":
        return float("nan")
    return float(entropy(model.attention_probs(model.target)))


def run_code_iteration(
    mu: np.ndarray,
    *,
    T: float = 3.0,
    v0: float = 0.05,
    eta: float = 0.02,
    steps: int = 5000,
    activation: str = "nonlinear",
    tol: float = 1e-3,
) -> SparseDenseRun:
    """The JoMA code's Euler iteration with softmax attention (times ``t = step * eta``)."""
    if not (eta > 0 and steps >= 3):
        raise InvalidArgument(f"expected eta > 0 and steps >= 3, got eta={eta!r}, steps={steps!r}")
    model = _model(np.asarray(mu, float), T, activation, "softmax")
    v = np.full(model.M, float(v0))
    vs = np.empty((steps + 1, model.M))
    vs[0] = v
    for j in range(steps):
        v = v + eta * model.rhs(0.0, v)
        vs[j + 1] = v
    if not np.all(np.isfinite(vs)):
        raise SolverError(f"the iteration diverged; lower eta (got eta={eta})")
    t = eta * np.arange(steps + 1)
    H = entropy(model.attention_probs(vs))
    return SparseDenseRun(t, vs, H, entropy_shape(t, H, tol=tol), _limit(model))


def run_ode(
    mu: np.ndarray,
    *,
    T: float = 3.0,
    v0: float = 0.05,
    t_end: float = 100.0,
    n_points: int = 2001,
    activation: str = "nonlinear",
    attention: str = "softmax",
    tol: float = 1e-3,
) -> SparseDenseRun:
    """The reduced ODE with :func:`scipy.integrate.solve_ivp` (DOP853, rtol 1e-10, atol 1e-12).

    The state is augmented with :math:`S(t) = \\int_0^t s` (``s = 1`` for exp attention,
    :math:`s = 1/\\sum_j \\bar x_j e^{a v_j^2}` for softmax, where token :math:`l` also carries
    :math:`\\bar x_l`) so that the first integral can be checked:
    ``extra["first_integral_residual"]`` is :math:`\\max_{t,l} |G_{\\mu_l}(v_l(t)) -
    G_{\\mu_l}(v_0) - \\bar x_l S(t)|` (:math:`\\bar x_l \\to 1` for exp) over the times where
    every :math:`|\\mu_l - v_l| > 10^{-3}` (conditioning of :math:`G` near its pole).
    """
    model = _model(np.asarray(mu, float), T, activation, attention)
    M = model.M
    xb = model.xbar if model.xbar is not None else np.full(M, 1.0 / M)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        v = y[:M]
        log_w = model.a * v**2
        if attention == "exp":
            return np.concatenate([model.rhs(t, v), [1.0]])
        log_norm = float(np.logaddexp.reduce(log_w + np.log(xb)))
        return np.concatenate([model.rhs(t, v), [np.exp(-log_norm)]])

    t_eval = np.linspace(0.0, t_end, n_points)
    y0 = np.concatenate([np.full(M, float(v0)), [0.0]])
    sol = integrate.solve_ivp(rhs, (0.0, t_end), y0, method="DOP853", t_eval=t_eval, rtol=RTOL, atol=ATOL)
    if sol.status != 0 or sol.y.shape[1] != n_points:
        raise SolverError(f"solve_ivp stopped early ({sol.message}); shorten t_end or use softmax attention")
    vs, S = sol.y[:M].T, sol.y[M]
    H = entropy(model.attention_probs(vs))
    extra: dict = {"rtol": RTOL, "atol": ATOL, "nfev": int(sol.nfev)}
    if activation == "nonlinear":
        ok = np.all(np.abs(model.target - vs) > 1e-3, axis=1)
        G = first_integral(vs[ok], model.target, a=model.a, v0=float(v0))
        per_token = 1.0 if attention == "exp" else xb
        extra["first_integral_residual"] = float(np.max(np.abs(G - per_token * S[ok, None])))
        extra["first_integral_points"] = int(ok.sum())
        extra["S_end"] = float(S[-1])
        frac = (vs - v0) / (model.target - v0)
        reach = np.array(
            [t_eval[np.argmax(frac[:, l] >= 0.9)] if np.any(frac[:, l] >= 0.9) else np.inf for l in range(M)]
        )
        extra["t90"] = [float(x) if np.isfinite(x) else None for x in reach]
        by_salience = reach[np.argsort(-model.target)]  # most salient (largest mu) first
        extra["salient_first"] = bool(np.all(by_salience[:-1] <= by_salience[1:]))
        extra["reached_90"] = int(np.isfinite(reach).sum())
    return SparseDenseRun(t_eval, vs, H, entropy_shape(t_eval, H, tol=tol), _limit(model), extra)
