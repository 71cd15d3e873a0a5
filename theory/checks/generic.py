"""``check``: any model's conserved quantity against gradient descent on its loss alone.

Role: the dynamic verification tier for models the catalogue does not contain.  The
*referee* never sees the symbolic gradient it checks: it compiles the loss
(:func:`theory.numeric.compile.compile_loss`), differentiates it numerically (complex step
:math:`\\partial_i\\mathcal L = \\operatorname{Im}\\mathcal L(\\theta + ihe_i)/h` where the loss
is analytic, central differences otherwise; :mod:`theory.numeric.finite_diff`) and runs
plain gradient descent :math:`\\theta_g \\leftarrow \\theta_g - \\epsilon\\,\\eta_g G_g
\\nabla_{\\theta_g}\\mathcal L` with step :math:`\\epsilon` (``eta`` below) for
:math:`n = t/\\epsilon` steps: a fixed flow time :math:`t`.

Why the slope.  Gradient descent is the Euler scheme of the flow :math:`\\dot\\theta = F`, so
one step changes :math:`Q` by :math:`\\epsilon\\nabla Q\\cdot F + O(\\epsilon^2)`.  If
:math:`\\nabla Q\\cdot F = 0` (conserved) the drift over :math:`t/\\epsilon` steps is
:math:`O(\\epsilon)`: the least-squares slope of :math:`\\log\\max_t|Q(t) - Q(0)|` against
:math:`\\log\\epsilon` is 1.  Otherwise the drift is :math:`O(1)`, slope 0.  Independently,
the compiled *symbolic* flow is integrated (DOP853, ``rtol = 1e-10``) and the ODE drift of
:math:`Q` reported, the two velocities are compared at the start (``velocity_gap``), and the
descent's distance to the ODE solution at time :math:`t` must shrink like :math:`\\epsilon`.

Tolerances and why (relative to :math:`\\max(1, \\max_i|Q_i(0)|)`):

* :data:`ODE_TOL` ``= 1e-7``: DOP853 at ``rtol = 1e-10`` keeps a conserved quantity to about
  :math:`10^{-10}`-:math:`10^{-9}` over :math:`t = 1`; a real drift at the smallest step is
  :math:`\\ge 10^{-4}` for O(1) data, far above.
* :data:`EXACT_TOL` ``= 1e-9``: some quantities (linear ones, e.g. a sum of softmax logits) are
  kept by *every* Euler step; their drift is rounding, ~:math:`n\\,\\epsilon_{mach}` with the
  complex step, ~:math:`t\\,\\epsilon_{mach}^{2/3}\\approx 4\\cdot10^{-11}t` with central
  differences (Nocedal & Wright, sec. 8.1): then the slope is meaningless and the verdict is
  "conserved" with that status.
* velocity gap: :data:`COMPLEX_GAP_TOL` ``= 1e-10`` relative (the complex step is exact to
  rounding, the symbolic velocity is a sum of a few dozen double-precision terms); central
  differences: 4 times :func:`~theory.numeric.finite_diff.central_error_bound` (scaled by the
  rates) plus that.
* slopes: ``>= 0.7`` conserved, ``<= 0.3`` drifts (first-order drift bends at finite
  :math:`\\epsilon` through the :math:`O(\\epsilon^2)` term; the catalogue oracle's band is 0.8-1.2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InvalidArgument, UnknownNameError
from ..models.spec import ModelSpec
from ..numeric.compile import CompiledLoss, compile_flow, compile_loss
from ..numeric.finite_diff import central_error_bound, central_gradient, complex_step_gradient
from ..numeric.ode import solve_flow
from ..numeric.values import numeric_spec, quantity_components, random_values
from ..symbolic.flow import derive_flow

__all__ = ["COMPLEX_GAP_TOL", "EXACT_TOL", "ODE_TOL", "REFEREES", "CheckConfig", "CheckReport", "check"]

ODE_TOL = 1e-7
EXACT_TOL = 1e-9
COMPLEX_GAP_TOL = 1e-10
REFEREES = ("auto", "complex-step", "central-difference")


@dataclass(frozen=True)
class CheckConfig:
    """Settings of :func:`check` (defaults: the catalogue oracle's).

    Attributes
    ----------
    etas : tuple of float
        Gradient-descent steps :math:`\\epsilon` (at least two distinct; each is rounded to
        ``flow_time / n`` for an integer ``n`` so the flow time is exact).
    flow_time : float
        Horizon :math:`t` of the descent and of the ODE.
    seed : int
        Seed of the random start, data and constants (:func:`theory.numeric.values.random_values`).
    scale : float
        Scale of real-valued symbols.
    values : mapping of str to float, optional
        Values by symbol name that override the random draw.
    activation : str
        Instantiation of an arbitrary activation :math:`\\phi` (a proof for every :math:`\\phi`
        covers it).
    referee : {"auto", "complex-step", "central-difference"}
        ``auto``: complex step when the loss is analytic, central differences otherwise.
    ode_rtol, ode_atol : float
        DOP853 tolerances of the symbolic-flow integration.
    conserved_slope, drifting_slope : float
        Slope thresholds of the verdict.
    max_state : int
        Largest state this per-symbol check compiles.
    """

    etas: tuple[float, ...] = (0.02, 0.01, 0.005, 0.0025)
    flow_time: float = 1.0
    seed: int = 0
    scale: float = 1.0
    values: Mapping[str, float] | None = None
    activation: str = "tanh"
    referee: str = "auto"
    ode_rtol: float = 1e-10
    ode_atol: float = 1e-12
    conserved_slope: float = 0.7
    drifting_slope: float = 0.3
    max_state: int = 200

    def __post_init__(self) -> None:
        etas = tuple(self.etas)
        if len(set(etas)) < 2 or not all(isinstance(e, (int, float)) and 0 < e < math.inf for e in etas):
            raise InvalidArgument(f"expected at least two distinct positive finite etas, got etas={self.etas!r}")
        for name in ("flow_time", "scale", "ode_rtol", "ode_atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise InvalidArgument(f"expected a positive finite {name}, got {name}={value!r}")
        if max(etas) > self.flow_time:
            raise InvalidArgument(f"expected etas <= flow_time, got max eta {max(etas)} > flow_time {self.flow_time}")
        if self.referee not in REFEREES:
            raise UnknownNameError(f"unknown referee {self.referee!r}; expected one of: {', '.join(REFEREES)}")
        if not 0 <= self.drifting_slope < self.conserved_slope:
            raise InvalidArgument("expected 0 <= drifting_slope < conserved_slope")
        object.__setattr__(self, "etas", etas)


def _finite(x: object) -> object:
    """``x`` with every non-finite float replaced by None (JSON-ready)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check` (see the module docstring for the criteria).

    Attributes
    ----------
    model : str
    quantity : tuple of str
        The components checked.
    verdict_numeric : {"conserved", "drifts", "inconclusive"}
    status : str
        Why, in one line (and what failed, if anything).
    slope : float or None
        Log-log slope of the descent drift against ``etas``.
    etas, drifts : tuple of float
        Steps used and :math:`\\max_t\\max_i|Q_i(t) - Q_i(0)|` per step (None: the descent blew up).
    ode_drift : float or None
        The same along the compiled symbolic flow (DOP853); ``ode_status`` its solver status.
    gd_to_ode, gd_to_ode_slope : tuple of float, float or None
        :math:`\\max|\\theta_{GD}(t) - \\theta_{ODE}(t)|` per step and its slope (about 1).
    velocity_gap, velocity_gap_tol : float or None, float
        Relative gap between the symbolic velocity and the referee's at the start.
    referee : {"complex-step", "central-difference"}
    q_scale : float
        :math:`\\max(1, \\max_i|Q_i(0)|)`, the scale of the drift tolerances.
    instantiated : dict
        What was made concrete for the numbers (e.g. ``{"phi": "tanh"}``).
    """

    model: str
    quantity: tuple[str, ...]
    verdict_numeric: str
    status: str
    slope: float | None
    etas: tuple[float, ...]
    drifts: tuple[float | None, ...]
    ode_drift: float | None
    ode_status: str
    gd_to_ode: tuple[float | None, ...]
    gd_to_ode_slope: float | None
    velocity_gap: float | None
    velocity_gap_tol: float
    referee: str
    q_scale: float
    flow_time: float
    seed: int
    instantiated: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (tuples as lists, non-finite numbers as None)."""
        out = _finite(asdict(self))
        assert isinstance(out, dict)
        return out


def _fit_slope(etas: tuple[float, ...], values: list[float]) -> float | None:
    """Least-squares slope of :math:`\\log v` against :math:`\\log\\epsilon` (private; zeros floored at 1e-300).

    None when a value is missing or non-finite.  (A shared helper will replace it.)
    """
    v = np.asarray(values, dtype=float)
    if v.size != len(etas) or not np.all(np.isfinite(v)):
        return None
    return float(np.polyfit(np.log(np.asarray(etas)), np.log(np.maximum(v, 1e-300)), 1)[0])


class _Referee:
    """The loss's gradient flow :math:`F(\\theta) = -\\eta\\odot(G\\,\\nabla\\mathcal L)`, gradient numerical."""

    def __init__(self, spec: ModelSpec, loss: CompiledLoss, values: Mapping[str, float], method: str) -> None:
        subs = {s: sp.Float(values[s.name]) for s in (*spec.data, *spec.constants)}
        self.d = np.array([values[s.name] for s in spec.data], dtype=float)
        self.c = np.array([values[s.name] for s in spec.constants], dtype=float)
        self.loss = loss
        self.rates = np.concatenate([np.full(len(g.symbols), float(g.rate.xreplace(subs))) for g in spec.params])
        self.metrics: list[tuple[slice, np.ndarray]] = []
        start = 0
        for g in spec.params:
            stop = start + len(g.symbols)
            if g.metric is not None:
                self.metrics.append((slice(start, stop), np.array(g.metric.xreplace(subs).evalf(), dtype=float)))
            start = stop
        self.method = method

    def f(self, points: np.ndarray) -> np.ndarray:
        """The loss at rows of ``points`` (shape (B, n))."""
        return self.loss(points.T, self.d, self.c)

    def gradient(self, y: np.ndarray) -> np.ndarray:
        if self.method == "complex-step":
            return complex_step_gradient(self.f, y, batched=True)
        return central_gradient(self.f, y, batched=True)

    def velocity(self, y: np.ndarray) -> np.ndarray:
        g = self.gradient(y)
        for sl, metric in self.metrics:
            g[sl] = metric @ g[sl]
        return -self.rates * g

    def gap_tol(self, y: np.ndarray, speed: float) -> float:
        """Tolerance of the relative velocity gap (module docstring)."""
        if self.method == "complex-step":
            return COMPLEX_GAP_TOL
        with np.errstate(all="ignore"):
            f_scale = abs(float(np.real(self.f(y[None, :])[0])))
        bound = central_error_bound(y, f_scale) * self.rates
        return 4.0 * float(bound.max()) / max(speed, 1e-300) + COMPLEX_GAP_TOL

    def descend(self, y0: np.ndarray, eta: float, steps: int) -> np.ndarray:
        """States of ``steps`` gradient-descent steps from ``y0``, shape (steps + 1, n)."""
        states = np.empty((steps + 1, y0.size))
        states[0] = y = y0
        for j in range(steps):
            y = y + eta * self.velocity(y)
            states[j + 1] = y
        return states


def _choose_referee(requested: str, loss: CompiledLoss, y0: np.ndarray, f: Callable) -> str:
    """``complex-step`` when the loss is analytic and keeps the imaginary part, else central differences."""
    if requested != "auto":
        return requested
    if not loss.analytic:
        return "central-difference"
    try:
        complex_step_gradient(f, y0, batched=True)
    except InvalidArgument:
        return "central-difference"
    return "complex-step"


def check(spec: ModelSpec, quantity: object, config: CheckConfig | None = None) -> CheckReport:
    """Check numerically that ``quantity`` is conserved by the gradient flow of ``spec``.

    Parameters
    ----------
    spec : ModelSpec
        Any model (catalogue, :func:`theory.models.custom`, ...) with at most
        ``config.max_state`` parameters.
    quantity : sympy.Expr, str, or a list of them
        E.g. ``v.quantity`` of a :class:`~theory.symbolic.Verdict`, or ``"a1^2 - b1^2"``.
    config : CheckConfig, optional

    Returns
    -------
    CheckReport

    Raises
    ------
    ExpressionError
        The quantity is malformed, not finite, or uses symbols the model lacks.
    InvalidArgument
        The state is larger than ``config.max_state``, or a given value is invalid.
    """
    config = config or CheckConfig()
    t0 = time.perf_counter()
    q = quantity_components(spec, quantity)
    if len(spec.state) > config.max_state:
        raise InvalidArgument(
            f"model {spec.name!r} has {len(spec.state)} parameters; check compiles per symbol up to "
            f"config.max_state={config.max_state} (raise it, or use smaller sizes)"
        )
    nspec, instantiated = numeric_spec(spec, config.activation)
    y0, values = random_values(nspec, np.random.default_rng(config.seed), scale=config.scale, given=config.values)
    flow = compile_flow(derive_flow(nspec), invariants={"quantity": list(q)})
    p = flow.param_vector(values)
    loss = compile_loss(nspec)
    ref = _Referee(nspec, loss, values, "central-difference")
    ref.method = method = _choose_referee(config.referee, loss, y0, ref.f)
    steps = [max(1, round(config.flow_time / e)) for e in config.etas]
    etas = tuple(config.flow_time / n for n in steps)
    report: dict[str, Any] = {
        "model": spec.name,
        "quantity": tuple(str(e) for e in q),
        "etas": etas,
        "referee": method,
        "flow_time": float(config.flow_time),
        "seed": config.seed,
        "instantiated": instantiated,
    }
    with np.errstate(all="ignore"):
        q0 = np.asarray(flow.invariants(y0, p)["quantity"], dtype=float)
        v_sym, v_ref = flow.rhs(y0, p), ref.velocity(y0)
    q_scale = max(1.0, float(np.abs(q0).max())) if np.all(np.isfinite(q0)) else math.inf
    speed = float(np.abs(v_ref).max())
    gap = float(np.abs(v_sym - v_ref).max()) / max(speed, 1e-300)
    report.update(q_scale=q_scale, velocity_gap=gap, velocity_gap_tol=ref.gap_tol(y0, speed))
    ode = solve_flow(
        lambda y: flow.rhs(y, p),
        y0,
        config.flow_time,
        rtol=config.ode_rtol,
        atol=config.ode_atol,
        invariants=lambda y: {"q": flow.invariants(y, p)["quantity"]},
    )
    ode_drift = ode.drift.get("q", math.nan)
    drifts, gaps = [], []
    for eta, n in zip(etas, steps, strict=True):
        try:
            states = ref.descend(y0, eta, n)
        except InvalidArgument:  # the loss or its gradient overflowed: the descent blew up
            drifts.append(math.nan)
            gaps.append(math.nan)
            continue
        with np.errstate(all="ignore"):
            track = np.asarray(flow.invariants(states.T, p)["quantity"], dtype=float)
        drifts.append(float(np.abs(track - track[:, :1]).max()))
        gaps.append(float(np.abs(states[-1] - ode.y[-1]).max()) if ode.status == "ok" else math.nan)
    slope = _fit_slope(etas, drifts)
    verdict, status = _verdict(config, speed, gap, report["velocity_gap_tol"], drifts, slope, ode_drift, ode, q_scale)
    report.update(
        verdict_numeric=verdict,
        status=status,
        slope=slope,
        drifts=tuple(drifts),
        ode_drift=ode_drift,
        ode_status=ode.status,
        gd_to_ode=tuple(gaps),
        gd_to_ode_slope=_fit_slope(etas, gaps),
        seconds=time.perf_counter() - t0,
    )
    return CheckReport(**report)


def _verdict(
    config: CheckConfig,
    speed: float,
    gap: float,
    gap_tol: float,
    drifts: list[float],
    slope: float | None,
    ode_drift: float,
    ode: Any,
    q_scale: float,
) -> tuple[str, str]:
    """``(verdict_numeric, status)`` from the measurements (criteria in the module docstring)."""
    if not math.isfinite(q_scale):
        return "inconclusive", "the quantity is not finite at the start"
    if not speed > 0 or not math.isfinite(speed):
        return "inconclusive", "the start is a critical point of the loss (or its gradient is not finite)"
    if not gap <= gap_tol:
        return "inconclusive", f"the symbolic flow and the referee disagree at the start: relative gap {gap:.2e}"
    if ode.status != "ok":
        return "inconclusive", f"ODE {ode.status}: {ode.message}; try a shorter flow_time or smaller values"
    bad = [e for e, d in zip(config.etas, drifts, strict=True) if not math.isfinite(d)]
    if bad or slope is None:
        return "inconclusive", f"gradient descent blew up at eta {bad[0]:g}; use smaller etas or a shorter flow_time"
    ode_ok = ode_drift <= ODE_TOL * q_scale
    if max(drifts) <= EXACT_TOL * q_scale and ode_ok:
        return "conserved", "every descent keeps Q to rounding (e.g. a linear law); the slope is not meaningful"
    if slope >= config.conserved_slope and ode_ok:
        return "conserved", f"descent drift O(eta) (slope {slope:.2f}) and ODE drift {ode_drift:.1e}"
    if slope <= config.drifting_slope and not ode_ok:
        return "drifts", f"descent drift does not shrink with eta (slope {slope:.2f}); ODE drift {ode_drift:.1e}"
    return "inconclusive", f"slope {slope:.2f} with ODE drift {ode_drift:.1e}: the two tests disagree"
