"""Integrating gradient flows with :func:`scipy.integrate.solve_ivp`, invariants watched.

Role: the continuous-time reference.  Defaults: ``DOP853`` (Dormand-Prince 8(5,3), Hairer,
Nørsett & Wanner, *Solving ODEs I*, sec. II.10) with ``rtol = 1e-10``, ``atol = 1e-12``.
Why so tight: invariant checks compare drifts of order :math:`10^{-6}`-:math:`10^{-3}`
(gradient descent's :math:`O(\\eta)` drift at small steps) with the flow's own drift, which
must be far below them; SciPy's default ``rtol = 1e-3`` would produce integration drifts
of the same size as the effect being measured.  Other methods are available by name;
implicit ones (``Radau``, ``BDF``, ``LSODA``) get the analytic Jacobian and its sparsity
pattern when the caller has them.

Finite-time blow-up (exp attention blows up, JoMA sec. 4: :math:`t^\\ast =
\\sqrt{\\pi/2}/|\\Delta|`) is detected by a terminal event on the size of the state and of
the velocity, or by a non-finite velocity, and is reported as ``status="blow-up"`` with
the time: never NaNs, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from .._config import configure
from .._progress import Progress
from ..errors import InvalidArgument, UnknownNameError
from ._compiled import CompiledFlow
from .choices import METHODS

__all__ = ["IMPLICIT_METHODS", "METHODS", "SolverConfig", "Trajectory", "solve_compiled", "solve_flow"]

IMPLICIT_METHODS = ("Radau", "BDF", "LSODA")
DEFAULT_RTOL = 1e-10
DEFAULT_ATOL = 1e-12
_FAR = 1e300


class _NonFinite(Exception):
    """Raised inside the right-hand side when the velocity overflows."""

    def __init__(self, t: float) -> None:
        self.t = t


@dataclass(frozen=True)
class Trajectory:
    """A solved flow.

    Attributes
    ----------
    t : ndarray, shape (S,)
        Output times (the requested grid up to the stop time, then the stop time).
    y : ndarray, shape (S, n)
        States at those times.
    status : str
        ``"ok"``, ``"blow-up"`` (finite-time blow-up detected) or ``"failed"``.
    t_stop : float
        Time reached (``t_end`` when ``status == "ok"``).
    message : str
        Human explanation of the status.
    method, rtol, atol : str, float, float
        Solver settings.
    nfev : int
        Right-hand side evaluations.
    invariants : dict of str to ndarray (S, c)
        Each watched invariant along the trajectory.
    drift : dict of str to float
        :math:`\\max_t \\max_i |I_i(t) - I_i(0)|` for each invariant.
    """

    t: np.ndarray
    y: np.ndarray
    status: str
    t_stop: float
    message: str
    method: str
    rtol: float
    atol: float
    nfev: int
    invariants: dict[str, np.ndarray] = field(default_factory=dict)
    drift: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "status": self.status,
            "t_stop": float(self.t_stop),
            "message": self.message,
            "method": self.method,
            "rtol": self.rtol,
            "atol": self.atol,
            "nfev": self.nfev,
            "drift": {k: float(v) for k, v in self.drift.items()},
        }


@dataclass(frozen=True)
class SolverConfig:
    """Settings of :func:`solve_flow` (tight defaults; see the module docstring).

    Attributes
    ----------
    method : str
        One of :data:`METHODS` (SciPy's ``solve_ivp`` names); default ``"DOP853"``.
    rtol, atol : float
        Solver tolerances (``1e-10``, ``1e-12``).
    n_points : int
        Size of the output grid on :math:`[0, t_\\mathrm{end}]`.
    state_bound : float
        Blow-up threshold on :math:`\\max|y|` (terminal event).
    rate_growth : float
        When the solver's step size collapses, the run counts as a blow-up if
        :math:`\\max|F|` grew by this factor (or the state tenfold) since the start.
    max_nfev : int
        Budget of right-hand side evaluations; when spent the run stops with
        ``status="failed"`` and the time reached (a terminal event), never hangs.
    """

    method: str = "DOP853"
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    n_points: int = 101
    state_bound: float = 1e8
    rate_growth: float = 50.0
    max_nfev: int = 200_000

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UnknownNameError(f"unknown ODE method {self.method!r}; expected one of: {', '.join(METHODS)}")
        rtol, atol = self.rtol, self.atol
        if not (rtol > 0 and atol > 0 and np.isfinite(rtol) and np.isfinite(atol)):
            raise InvalidArgument(f"expected positive tolerances, got rtol={rtol!r}, atol={atol!r}")
        if self.n_points < 1 or self.max_nfev < 1:
            raise InvalidArgument(f"expected n_points >= 1 and max_nfev >= 1, got {self.n_points}, {self.max_nfev}")


def _check(t_end: float, y0: np.ndarray) -> None:
    if not (np.isfinite(t_end) and t_end > 0):
        raise InvalidArgument(f"expected a positive finite end time, got t_end={t_end!r}")
    if y0.ndim != 1 or y0.size == 0 or not np.all(np.isfinite(y0)):
        raise InvalidArgument("the initial state must be a finite, non-empty 1-D array")


def solve_flow(
    rhs: Callable[[np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_end: float,
    config: SolverConfig | None = None,
    *,
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    jac_sparsity: np.ndarray | None = None,
    invariants: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
    **changes: Any,
) -> Trajectory:
    """Integrate the autonomous flow :math:`\\dot y = F(y)` from ``y0`` to ``t_end``.

    Parameters
    ----------
    rhs : callable
        :math:`F(y)` for a 1-D state ``y``.
    y0 : ndarray, shape (n,)
        Initial state.
    t_end : float
        Horizon.
    config : SolverConfig, optional
        Method, tolerances, output grid, blow-up and budget settings (default: ``SolverConfig()``).
    jac : callable, optional
        :math:`\\partial F/\\partial y` (n, n); passed to implicit methods.
    jac_sparsity : ndarray of bool, optional
        Structural pattern of the Jacobian; passed to implicit methods when ``jac`` is not.
    invariants : callable, optional
        ``y -> {name: components}`` evaluated on the output grid; drifts are reported.
    **changes
        Fields of :class:`SolverConfig` to override, e.g. ``solve_flow(f, y0, 1.0, method="Radau")``.

    Returns
    -------
    Trajectory

    Raises
    ------
    InvalidArgument
        A bad horizon, initial state or setting (:class:`~theory.errors.UnknownNameError`
        for an unknown method).  Blow-up and solver failure are data (``status``), not errors.
    """
    cfg = configure(SolverConfig, config, changes)
    method, rtol, atol, max_nfev = cfg.method, cfg.rtol, cfg.atol, cfg.max_nfev
    state_bound, rate_growth = cfg.state_bound, cfg.rate_growth
    y0 = np.array(y0, dtype=float)
    _check(t_end, y0)
    first_rate, last_rate, last_t, last_y = [-1.0], [0.0], [0.0], [y0]
    calls, t_cut = [0], [_FAR]
    meter = Progress(100, "integrate", unit="%")  # percent of the horizon reached (stderr; quiet-aware)

    def f(t: float, y: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if calls[0] % 64 == 0 and (done := int(100 * min(t / t_end, 1.0))) > meter.n:
            meter.update(done - meter.n)
        if calls[0] > max_nfev and t_cut[0] == _FAR:
            t_cut[0] = t  # the budget event fires at the end of the current step
        with np.errstate(all="ignore"):
            out = np.asarray(rhs(y), dtype=float)
        if not np.all(np.isfinite(out)):
            raise _NonFinite(t)
        last_rate[0] = float(np.abs(out).max())
        if first_rate[0] < 0:
            first_rate[0] = last_rate[0]
        if t >= last_t[0]:
            last_t[0], last_y[0] = t, y
        return out

    def blow_up(t: float, y: np.ndarray) -> float:
        return float(np.log(state_bound) - np.log(np.abs(y).max() + 1e-300))

    def budget(t: float, y: np.ndarray) -> float:
        # continuous in t (brentq needs a sign change): positive until the budget is spent
        return t_cut[0] - t

    blow_up.terminal = True  # type: ignore[attr-defined]
    budget.terminal = True  # type: ignore[attr-defined]
    kwargs: dict = {}
    if method in IMPLICIT_METHODS:
        if jac is not None:
            kwargs["jac"] = lambda t, y: jac(y)
        elif jac_sparsity is not None and method != "LSODA":
            kwargs["jac_sparsity"] = jac_sparsity
    grid = np.linspace(0.0, t_end, cfg.n_points)
    status, message = "ok", "reached t_end"
    try:
        # SciPy's step-size heuristics overflow on a huge velocity before f sees it: the outcome is
        # reported as a status below, so NumPy's floating-point warnings would only be noise
        with np.errstate(all="ignore"):
            sol = solve_ivp(
                f,
                (0.0, t_end),
                y0,
                method=method,
                t_eval=grid,
                rtol=rtol,
                atol=atol,
                events=[blow_up, budget],
                **kwargs,
            )
        # with t_eval, SciPy leaves sol.y a plain empty list when no grid point was reached
        y_grid = np.asarray(sol.y, dtype=float)
        t, y, nfev = sol.t, (y_grid.T if y_grid.size else np.empty((0, np.size(y0)))), int(sol.nfev)
        if sol.status == 1 and len(sol.t_events[1]):
            status = "failed"
            t_ev = float(sol.t_events[1][0])
            hint = "a looser rtol or a shorter horizon" if method in IMPLICIT_METHODS else "method LSODA or Radau"
            message = (
                f"stopped at t = {t_ev:.6g} after {max_nfev} right-hand side evaluations: the flow is stiff "
                f"or nearly singular here; try {hint}"
            )
            t, y = np.append(t, t_ev), np.vstack([y, sol.y_events[1][0]])
        elif sol.status == 1:
            status = "blow-up"
            t_ev = float(sol.t_events[0][0])
            message = f"finite-time blow-up: |y| or |dy/dt| exceeded its bound at t = {t_ev:.6g}"
            t, y = np.append(t, t_ev), np.vstack([y, sol.y_events[0][0]])
        elif sol.status == -1:
            # a step size collapsing while the state or the velocity grows is the signature
            # of a finite-time singularity (the solver cannot pass it)
            grown = np.abs(y[-1]).max() > 10 * max(1.0, np.abs(y0).max()) if len(y) else False
            fast = last_rate[0] > rate_growth * max(first_rate[0], 1e-12)
            status = "blow-up" if (grown or fast) and "step size" in sol.message else "failed"
            message = f"solver stopped at t = {sol.t[-1] if len(sol.t) else 0:.6g}: {sol.message}"
            if status == "blow-up":
                message = (
                    f"finite-time blow-up near t = {last_t[0]:.6g}: the step size collapsed while "
                    f"|dy/dt| grew from {first_rate[0]:.3g} to {last_rate[0]:.3g}"
                )
                t, y = np.append(t, last_t[0]), np.vstack([y, last_y[0]]) if len(y) else last_y[0][None]
    except _NonFinite as exc:
        status = "blow-up"
        message = f"finite-time blow-up: the velocity overflowed at t = {exc.t:.6g}"
        with np.errstate(all="ignore"):
            t, y, nfev = _prefix(f, y0, exc.t, grid, method, rtol, atol, kwargs)
    meter.close()
    if not len(t):  # stopped before the first grid point: the trajectory is its start
        t, y = np.zeros(1), np.asarray(y0, dtype=float)[None]
    t_stop = float(t[-1]) if status != "ok" else float(t_end)
    inv_tracks: dict[str, np.ndarray] = {}
    drift: dict[str, float] = {}
    if invariants is not None and len(t):
        values = [invariants(row) for row in y]
        for name in values[0]:
            track = np.array([np.atleast_1d(v[name]) for v in values])
            inv_tracks[name] = track
            drift[name] = float(np.abs(track - track[0]).max())
    return Trajectory(t, y, status, t_stop, message, method, rtol, atol, nfev, inv_tracks, drift)


def _prefix(
    f: Callable, y0: np.ndarray, t_bad: float, grid: np.ndarray, method: str, rtol: float, atol: float, kwargs: dict
) -> tuple[np.ndarray, np.ndarray, int]:
    """The trajectory on the grid before a velocity overflow at ``t_bad`` (retries shorter)."""
    horizon = t_bad
    for _ in range(8):
        horizon *= 0.999
        if horizon <= 0:
            break
        try:
            sol = solve_ivp(
                f,
                (0.0, horizon),
                y0,
                method=method,
                rtol=rtol,
                atol=atol,
                t_eval=np.append(grid[grid < horizon], horizon),
                **kwargs,
            )
            y_grid = np.asarray(sol.y, dtype=float)
            return sol.t, (y_grid.T if y_grid.size else np.empty((0, np.size(y0)))), int(sol.nfev)
        except _NonFinite as exc:
            horizon = min(horizon, exc.t)
    return np.array([0.0]), y0[None, :], 1


def solve_compiled(
    flow: CompiledFlow,
    y0: np.ndarray,
    p: np.ndarray,
    t_end: float,
    config: SolverConfig | None = None,
    **changes: Any,
) -> Trajectory:
    """Solve a :class:`~theory.numeric.compile.CompiledFlow`, watching every compiled invariant.

    Implicit methods get the analytic Jacobian (compiled on first use); the returned
    trajectory reports the drift of each of ``flow.invariant_names``.  ``config`` and
    ``changes`` are the settings of :func:`solve_flow`.
    """
    cfg = configure(SolverConfig, config, changes)
    jac = (lambda y: flow.jacobian(y, p)) if cfg.method in IMPLICIT_METHODS else None
    watched = (lambda y: flow.invariants(y, p)) if flow.invariant_names else None
    return solve_flow(lambda y: flow.rhs(y, p), y0, t_end, cfg, jac=jac, invariants=watched)
