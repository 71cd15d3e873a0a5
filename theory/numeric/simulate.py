"""``simulate``: integrate the gradient flow of any model, or of JoMA at any number of tokens.

Role: the user-facing simulation, two entries behind one verb :func:`simulate`:

* ``simulate(spec, t_end, config=SimulateConfig(...))`` for any
  :class:`~theory.models.ModelSpec` at small sizes (:func:`simulate_spec`): the flow is derived
  per symbol, compiled (:func:`theory.numeric.compile.compile_flow`) and integrated from a
  random or given start, blow-up and stiffness reported as a status;
* ``simulate("joma-exp", tokens=..., ...)`` (``theory simulate``, :func:`simulate_joma`):
  the flow is derived once in index form
(:func:`theory.symbolic.indexed.joma_indexed`), compiled to vectorised NumPy
(:func:`theory.numeric.indexed_flow.compile_indexed`) and integrated by
:func:`theory.numeric.ode.solve_flow`; the catalogue quantity of the attention type
(golden-tested against the catalogue) is watched and its drift reported, with the loss
and the mean attention entropy at the start and the end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._config import configure
from ..errors import InvalidArgument, UnknownNameError
from .entropy import entropy
from .indexed_flow import CompiledIndexedFlow, compile_indexed
from .ode import METHODS, Trajectory, solve_compiled, solve_flow

if TYPE_CHECKING:
    from ..models.spec import ModelSpec

__all__ = [
    "SIM_MODELS",
    "JomaSimulationConfig",
    "SimulateConfig",
    "Simulation",
    "SpecSimulation",
    "simulate",
    "simulate_joma",
    "simulate_spec",
]

from .choices import SIM_MODELS

MAX_TOKENS = 100_000


@dataclass(frozen=True)
class Simulation:
    """A simulation run: settings, data, trajectory and the JSON summary."""

    summary: dict
    trajectory: Trajectory
    x: np.ndarray
    targets: np.ndarray
    quantity: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``--out FILE.npz``."""
        return {
            "t": self.trajectory.t,
            "y": self.trajectory.y,
            "quantity": self.quantity,
            "x": self.x,
            "targets": self.targets,
        }


def _compiled(attention: str, activation: str) -> tuple[CompiledIndexedFlow, str]:
    """The index-form JoMA flow, from the process or disk cache when there (:mod:`.flow_cache`)."""
    from .flow_cache import cached, content_key

    def build() -> CompiledIndexedFlow:
        from ..symbolic.indexed import joma_indexed

        return compile_indexed(joma_indexed(attention=attention, activation=activation))

    key = content_key("joma-indexed", attention, activation)
    return cached(key, build, CompiledIndexedFlow.as_record, CompiledIndexedFlow.from_record)


def _memory(traj: Trajectory, x: np.ndarray, targets: np.ndarray) -> dict:
    """What the run holds: snapshots stored, their bytes (states + watched quantity), the data's,
    and the process's peak resident memory (Linux ``ru_maxrss``, kB; imports included)."""
    stored = traj.y.nbytes + sum(v.nbytes for v in traj.invariants.values())
    out = {
        "snapshots": int(traj.y.shape[0]),
        "stored_mb": stored / 1e6,
        "data_mb": (x.nbytes + targets.nbytes) / 1e6,
    }
    try:
        import resource

        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    except (ImportError, OSError):  # not on every platform
        pass
    return out


def _positive_int(name: str, value: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
        raise InvalidArgument(f"expected an integer {name} in [1, {hi}], got {name}={value!r}")
    return value


def _positive_float(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
        raise InvalidArgument(f"expected a positive finite {name}, got {name}={value!r}")
    return float(value)


def _entropy(b: np.ndarray) -> float:
    return float(np.mean(entropy(b / b.sum(axis=1, keepdims=True))))


def _attention(attention: str, x: np.ndarray, z: np.ndarray, T: float) -> np.ndarray:
    if attention == "linear":
        return np.abs(x * z)
    e = x * np.exp((z - z.max()) / T)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class JomaSimulationConfig:
    """Settings of :func:`simulate_joma` (``theory simulate``).

    Attributes
    ----------
    tokens, hidden, samples : int
        ``M`` contextual tokens, ``K`` hidden nodes, ``N`` samples.
    t_end : float
        Horizon.
    method : str
        ODE method (:data:`theory.numeric.ode.METHODS`).
    seed : int
        Seed of data (Dirichlet frequencies, Gaussian targets) and of the start
        (``v, vm ~ N(0, init_scale^2)``, ``z = 0``).
    temperature, eta_w, eta_z : float
        :math:`T`, learning rates.
    activation : str
        Hidden-node activation (a name of :data:`theory.models.ACTIVATIONS`).
    init_scale : float
        Standard deviation of the random start.
    n_points : int
        Snapshots stored: the states on an even grid of this many times on
        :math:`[0, t_\\mathrm{end}]` (start and end included); nothing else is kept (the memory
        held is ``n_points`` times the state, reported in the summary's ``memory``).
    """

    tokens: int = 20
    hidden: int = 4
    samples: int = 16
    t_end: float = 10.0
    method: str = "DOP853"
    seed: int = 0
    temperature: float = 1.0
    eta_w: float = 1.0
    eta_z: float = 1.0
    activation: str = "tanh"
    init_scale: float = 0.1
    n_points: int = 101


def _check_budget(model: str, M: int, K: int, N: int, n_points: int) -> None:
    """Refuse sizes whose product would not fit the memory/time budget (:mod:`theory._budget`).

    Peak memory: the right-hand side forms an ``N x M x K`` tensor (samples x tokens x hidden)
    plus ``N x M`` data and ``n_points`` saved states of size ``K*M + K + M``; a DOP853 run
    takes at least ~100 right-hand side evaluations, each ~10 passes over that tensor.
    """
    from .._budget import FLOPS
    from .._budget import check as check_budget

    state = K * M + K + M
    memory = 8.0 * (3 * N * M * K + 4 * N * M + (n_points + 16) * state)
    seconds = 100 * 10 * N * M * K / FLOPS
    check_budget(
        f"simulate {model}",
        memory=memory,
        seconds=seconds,
        detail=f"samples*tokens*hidden = {N}*{M}*{K}",
        reduce="--tokens, --hidden or --samples",
    )


def simulate_joma(model: str, config: JomaSimulationConfig | None = None, **changes: Any) -> Simulation:
    """Simulate the gradient flow of a JoMA block (squared loss) on random simplex data.

    Parameters
    ----------
    model : {"joma-linear", "joma-exp", "joma-softmax"}
    config : JomaSimulationConfig, optional
        Sizes, horizon, solver, seed and flow constants (default: ``JomaSimulationConfig()``).
    **changes
        Fields of :class:`JomaSimulationConfig` to override, e.g.
        ``simulate_joma("joma-exp", tokens=100, seed=1)``.

    Returns
    -------
    Simulation

    Raises
    ------
    InvalidArgument
        An unknown setting, or a size or constant out of range.
    UnknownNameError
        An unknown model or ODE method.
    """
    cfg = configure(JomaSimulationConfig, config, changes)
    tokens, hidden, samples, t_end, method = cfg.tokens, cfg.hidden, cfg.samples, cfg.t_end, cfg.method
    seed, temperature, eta_w, eta_z = cfg.seed, cfg.temperature, cfg.eta_w, cfg.eta_z
    activation, init_scale, n_points = cfg.activation, cfg.init_scale, cfg.n_points
    if model not in SIM_MODELS:
        raise UnknownNameError(f"unknown model {model!r}; expected one of: {', '.join(SIM_MODELS)}")
    if method not in METHODS:
        raise UnknownNameError(f"unknown ODE method {method!r}; expected one of: {', '.join(METHODS)}")
    M = _positive_int("tokens", tokens, MAX_TOKENS)
    K = _positive_int("hidden", hidden, 256)
    N = _positive_int("samples", samples, 100_000)
    t_end = _positive_float("t_end", t_end)
    T = _positive_float("temperature", temperature)
    eta_w, eta_z = _positive_float("eta_w", eta_w), _positive_float("eta_z", eta_z)
    init_scale = _positive_float("init_scale", init_scale)
    n_points = _positive_int("n_points (snapshots)", n_points, 100_000)
    attention = model.removeprefix("joma-")
    _check_budget(model, M, K, N, n_points)
    t0 = time.perf_counter()
    flow, compile_source = _compiled(attention, activation)
    t_compile = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.ones(M), size=N)
    targets = rng.standard_normal((K, N))
    v = init_scale * rng.standard_normal((K, M))
    vm = init_scale * rng.standard_normal(K)
    z = np.zeros(M) if attention != "linear" else np.ones(M)  # linear attention: b = x o z needs z != 0
    y0 = flow.pack(v, vm, z)
    bbar = _attention(attention, x, z, T).mean(axis=0) if attention == "softmax" else None

    def quantity(y: np.ndarray) -> np.ndarray:
        return flow.quantity(y, x, targets, T, eta_w, eta_z, bbar)

    t1 = time.perf_counter()
    traj = solve_flow(
        lambda y: flow.rhs(y, x, targets, T, eta_w, eta_z),
        y0,
        t_end,
        method=method,
        invariants=lambda y: {"quantity": quantity(y)},
        n_points=n_points,
    )
    seconds = time.perf_counter() - t1
    y_end = traj.y[-1]
    z_end = flow.split(y_end, M, K)[2]
    summary = {
        "model": model,
        "sizes": {"M": M, "K": K, "N": N},
        "settings": {
            "t_end": t_end,
            "method": method,
            "seed": seed,
            "T": T,
            "eta_w": eta_w,
            "eta_z": eta_z,
            "activation": activation,
            "init_scale": init_scale,
        },
        **traj.summary(),
        "quantity": flow.quantity_name,
        "quantity_expected": "conditional (drifts unless E[b] is constant)" if attention == "softmax" else "conserved",
        "quantity_drift": traj.drift.get("quantity"),
        "loss": {"start": flow.loss(y0, x, targets, T), "end": flow.loss(y_end, x, targets, T)},
        "attention_entropy": {
            "start": _entropy(_attention(attention, x, z, T)),
            "end": _entropy(_attention(attention, x, z_end, T)),
            "max": float(np.log(M)),
        },
        "state_size": int(y0.size),
        "seconds": {"compile": t_compile, "solve": seconds},
        "compile_cache": compile_source,
        "memory": _memory(traj, x, targets),
    }
    return Simulation(summary, traj, x, targets, traj.invariants.get("quantity", np.empty((0, M))))


@dataclass(frozen=True)
class SimulateConfig:
    """Settings of :func:`simulate_spec`.

    Attributes
    ----------
    seed : int
        Seed of the random start, data and constants (:func:`theory.numeric.values.random_values`:
        positive symbols in [0.5, 1.5], real ones of magnitude ``scale`` * [0.2, 1], simplex
        groups normalised).
    initial : mapping of str to float, optional
        Start values of parameters by name (the others are drawn).
    values : mapping of str to float, optional
        Values of data symbols and constants by name (the others are drawn).
    scale : float
        Scale of drawn real-valued symbols.
    watch : mapping of str to quantity, optional
        Quantities (SymPy expressions or strings, parsed safely) evaluated along the
        trajectory; their drift is in the summary.
    method, rtol, atol, n_points : str, float, float, int
        Solver settings (:func:`theory.numeric.ode.solve_flow`; DOP853 at ``rtol = 1e-10``).
    activation : str
        Instantiation of an arbitrary activation :math:`\\phi`.
    max_state : int
        Largest state compiled per symbol (index-form JoMA: ``simulate("joma-exp", tokens=...)``).
    """

    seed: int = 0
    initial: Mapping[str, float] | None = None
    values: Mapping[str, float] | None = None
    scale: float = 1.0
    watch: Mapping[str, object] | None = None
    method: str = "DOP853"
    rtol: float = 1e-10
    atol: float = 1e-12
    n_points: int = 101
    activation: str = "tanh"
    max_state: int = 400

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UnknownNameError(f"unknown ODE method {self.method!r}; expected one of: {', '.join(METHODS)}")
        _positive_float("scale", self.scale)
        _positive_int("n_points", self.n_points, 1_000_000)
        _positive_int("max_state", self.max_state, 100_000)


@dataclass(frozen=True)
class SpecSimulation:
    """A solved gradient flow of a model.

    Attributes
    ----------
    model : str
    names : tuple of str
        ``y[:, i]`` is the parameter ``names[i]``.
    trajectory : Trajectory
        Times ``t``, states ``y``, ``status`` (``"ok"``, ``"blow-up"``, ``"failed"``), ``t_stop``,
        ``message``, watched quantities and their drift.
    values : dict of str to float
        Data and constants used.
    instantiated : dict
        What was made concrete (e.g. ``{"phi": "tanh"}``).
    loss : dict
        The loss at the start and at the end.
    seconds : dict
        Compile and solve times.
    """

    model: str
    names: tuple[str, ...]
    trajectory: Trajectory
    values: dict[str, float]
    instantiated: dict[str, str] = field(default_factory=dict)
    loss: dict[str, float | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def t(self) -> np.ndarray:
        return self.trajectory.t

    @property
    def y(self) -> np.ndarray:
        return self.trajectory.y

    @property
    def status(self) -> str:
        return self.trajectory.status

    def state(self, name: str) -> np.ndarray:
        """The parameter ``name`` along the trajectory."""
        if name not in self.names:
            known = ", ".join(self.names)
            raise UnknownNameError(f"{name!r} is not a parameter of {self.model!r}; parameters: {known}")
        return self.trajectory.y[:, self.names.index(name)]

    def as_dict(self) -> dict:
        """JSON-ready summary (no arrays; non-finite numbers as None)."""
        out = {
            "model": self.model,
            **self.trajectory.summary(),
            "state": dict(zip(self.names, (float(v) for v in self.trajectory.y[-1]), strict=True)),
            "values": dict(self.values),
            "instantiated": dict(self.instantiated),
            "loss": dict(self.loss),
            "seconds": dict(self.seconds),
        }
        ready = _json_ready(out)
        assert isinstance(ready, dict)
        return ready


def _json_ready(x: object) -> object:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    return x


def simulate_spec(spec: ModelSpec, t_end: float, *, config: SimulateConfig | None = None) -> SpecSimulation:
    """Integrate the gradient flow :math:`\\dot\\theta = -\\eta\\,G\\nabla\\mathcal L` of any ``spec``.

    Parameters
    ----------
    spec : ModelSpec
        At most ``config.max_state`` parameters (the flow is compiled per symbol).
    t_end : float
        Horizon.
    config : SimulateConfig, optional

    Returns
    -------
    SpecSimulation
        Finite-time blow-up and stiffness come back as ``status`` with the time, never NaNs.

    Raises
    ------
    InvalidArgument
        ``t_end`` not positive and finite, the state too large, a given value invalid or a
        name in ``initial`` not a parameter (``values``: not data or a constant).
    ExpressionError
        A watched quantity is malformed or uses symbols the model lacks.
    """
    from ..symbolic.flow import derive_flow
    from .compile import compile_flow, compile_loss
    from .values import numeric_spec, quantity_components, random_values

    config = config or SimulateConfig()
    t_end = _positive_float("t_end", t_end)
    if len(spec.state) > config.max_state:
        raise InvalidArgument(
            f"model {spec.name!r} has {len(spec.state)} parameters, above config.max_state={config.max_state}; "
            "large JoMA blocks run in index form: simulate('joma-exp', tokens=...)"
        )
    params = {s.name for s in spec.state}
    for what, given, ok in (("initial", config.initial, True), ("values", config.values, False)):
        wrong = sorted(k for k in (given or {}) if (k in params) != ok)
        if wrong:
            kind = "parameters" if ok else "data symbols or constants"
            raise InvalidArgument(f"config.{what} must name {kind} of {spec.name!r}; got {', '.join(wrong)}")
    watch = {name: list(quantity_components(spec, q)) for name, q in (config.watch or {}).items()}
    t0 = time.perf_counter()
    nspec, instantiated = numeric_spec(spec, config.activation)
    given = {**(config.values or {}), **(config.initial or {})}
    y0, values = random_values(nspec, np.random.default_rng(config.seed), scale=config.scale, given=given)
    flow = compile_flow(derive_flow(nspec), invariants=watch)
    loss = compile_loss(nspec)
    p = flow.param_vector(values)
    t1 = time.perf_counter()
    traj = solve_compiled(
        flow, y0, p, t_end, method=config.method, rtol=config.rtol, atol=config.atol, n_points=config.n_points
    )
    t2 = time.perf_counter()
    d = np.array([values[s.name] for s in nspec.data], dtype=float)
    c = np.array([values[s.name] for s in nspec.constants], dtype=float)
    with np.errstate(all="ignore"):
        ends = {"start": float(loss(traj.y[0], d, c)), "end": float(loss(traj.y[-1], d, c))}
    return SpecSimulation(
        model=spec.name,
        names=tuple(s.name for s in spec.state),
        trajectory=traj,
        values=values,
        instantiated=instantiated,
        loss={k: v if math.isfinite(v) else None for k, v in ends.items()},
        seconds={"compile": t1 - t0, "solve": t2 - t1},
    )


def simulate(
    model: ModelSpec | str,
    t_end: float = 10.0,
    *,
    config: SimulateConfig | JomaSimulationConfig | None = None,
    **joma_options: Any,
) -> SpecSimulation | Simulation:
    """Simulate a gradient flow: any model spec, or a JoMA block by name at any number of tokens.

    ``simulate(spec, t_end, config=SimulateConfig(...))`` runs :func:`simulate_spec`;
    ``simulate("joma-exp", t_end=..., tokens=..., ...)`` runs :func:`simulate_joma`
    (``theory simulate``; ``config`` is then a :class:`JomaSimulationConfig` and
    ``joma_options`` are its fields).
    """
    if isinstance(model, str):
        if isinstance(config, SimulateConfig):
            raise InvalidArgument(
                "SimulateConfig applies to a model spec; a JoMA name takes a JomaSimulationConfig or its keywords"
            )
        return simulate_joma(model, config, t_end=t_end, **joma_options)
    from ..models.spec import ModelSpec  # SymPy: only for a spec (a JoMA name runs without it)

    if not isinstance(model, ModelSpec):
        raise InvalidArgument(f"expected a ModelSpec or a JoMA model name, got {type(model).__name__}")
    if joma_options:
        raise InvalidArgument(
            f"unexpected keywords {', '.join(sorted(joma_options))} for a model spec; put settings in SimulateConfig"
        )
    if isinstance(config, JomaSimulationConfig):
        raise InvalidArgument("JomaSimulationConfig applies to a JoMA name; a model spec takes a SimulateConfig")
    return simulate_spec(model, t_end, config=config)
