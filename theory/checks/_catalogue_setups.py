"""Numerical set-ups of catalogue invariants for the oracle: a compiled flow, a start, a GD.

Role: turn a theorem record (symbolic model + quantity [+ residual]) into numbers, as its
:class:`~theory.theorem.NumericSetup` says (``procedure``):

* ``joma-referee``: JoMA invariants run gradient descent on the **referee** (:mod:`theory.numeric.referee`,
  plain NumPy, hand back-propagation): a model built independently of the symbolic
  derivation, with tanh hidden nodes, squared loss and real embeddings.  Its iterates are
  projected to the symbolic state (:math:`z`, :math:`v = U^\\top w`), where the catalogue's
  quantities are evaluated.  The compiled symbolic flow of the same concrete model is the
  ODE the descent must converge to.
* ``lu-referee``: Lu et al. invariants run gradient descent on the **Lu referee** (:mod:`theory.checks.lu_referee`:
  the NumPy model of :mod:`theory.lu`, analytic gradients, small synthetic topic data, the side
  conditions imposed by freezing); the quantity is evaluated on every topic word.  Their
  compiled-flow set-up (below) is kept as a cross-check (:attr:`Case.cross_check`).
* ``compiled-flow``: other invariants run gradient descent as the Euler scheme of their compiled flow, with the
  arbitrary activation replaced by ``tanh`` and free data symbols drawn at random (every
  catalogue invariant holds for every activation, loss and data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..numeric._compiled import CompiledFlow
from ..numeric.descent import descend
from ..numeric.referee import JomaReferee, RefereeConfig, joma_referee
from ._entry import Entry

if TYPE_CHECKING:
    import sympy as sp

    from ..models import ModelSpec
    from ..theorem import Theorem

__all__ = ["Case", "build_case", "concretise", "projector", "referee_values"]

_ACT = "tanh"
T_VALUE, ETA_W, ETA_Z = 0.8, 1.0, 1.5  # r = eta_z / eta_w = 1.5: the ratio matters


@dataclass(frozen=True)
class Case:
    """A catalogue invariant ready for numerics.

    Attributes
    ----------
    flow : CompiledFlow
        The concrete flow with invariants ``"quantity"`` and (conditional) ``"residual"``.
    p : ndarray
        Parameter vector of ``flow``.
    y0 : ndarray
        Start (symbolic state coordinates).
    gd : callable
        ``gd(eta, t_end) -> (times, states)``: gradient descent in state coordinates.
    source : str
        ``"referee"`` or ``"compiled flow"`` (what the descent runs on).
    referee_gap : float or None
        Relative max difference between the referee's (projected) velocity and the compiled
        symbolic flow at the same point: the gradient cross-check.
    sizes : dict
    cross_check : Case or None
        A second set-up checked with the same criteria (Lu et al.: the compiled flow).
    details : dict or None
        Set-up facts for the report (Lu et al.: learning rates, horizon, quantity source).
    """

    flow: CompiledFlow
    p: np.ndarray
    y0: np.ndarray
    gd: Callable[[float, float], tuple[np.ndarray, np.ndarray]]
    source: str
    referee_gap: float | None
    sizes: dict
    cross_check: Case | None = None
    details: dict | None = None


def concretise(expr: sp.Expr) -> sp.Expr:
    """Replace the arbitrary activation ``phi`` (and ``dphi``) by ``tanh`` (and its derivative)."""
    import sympy as sp

    from ..models import ACTIVATIONS, DPHI, PHI

    a = sp.Dummy("a")
    phi = ACTIVATIONS[_ACT]
    dphi = sp.Lambda(a, sp.diff(phi(a), a))
    return expr.replace(PHI, phi).replace(DPHI, lambda arg: dphi(arg))


def _quantities(theorem: Theorem, spec: ModelSpec) -> dict[str, list[sp.Expr]]:
    assert theorem.quantity is not None
    out = {"quantity": [concretise(q) for q in theorem.quantity(spec)]}
    if theorem.residual is not None:
        out["residual"] = [concretise(r) for r in theorem.residual(spec)]
    return out


def build_case(theorem: Theorem | Entry, *, seed: int = 0) -> Case:
    """The numerical set-up of invariant ``theorem`` at its largest listed size (its ``numeric.procedure``).

    Every symbolic step goes through the entry's compile plan (:class:`~theory.checks._entry.Entry`),
    so a cached entry builds its case without SymPy.
    """
    entry = theorem if isinstance(theorem, Entry) else Entry.of(theorem)
    procedure = entry.procedure
    if procedure is None:
        raise ValueError(f"{entry.name} has no numeric set-up")
    sizes = dict(entry.header["sizes"])
    build = {"joma-referee": _joma_case, "lu-referee": _lu_case, "compiled-flow": _generic_case}
    if procedure not in build:
        raise ValueError(f"{entry.name}: set-up {procedure!r} does not follow an invariant")
    return build[procedure](entry, sizes, seed)


# JoMA: the referee -----------------------------------------------------------------------
def _joma_setup(entry: Entry) -> dict[str, Any]:
    spec = entry.theorem().largest_spec()
    return {
        "M": spec.sizes["M"],
        "K": spec.sizes["K"],
        "N": spec.sizes["N"],
        "queries": spec.sizes.get("queries", 1),
        "embeddings": "almost-orthogonal" if spec.group("w").metric is not None else "orthonormal",
        "attention": spec.extra["attention"],
    }


def _joma_case(entry: Entry, sizes: dict, seed: int) -> Case:
    setup = entry.plan.value("joma-setup", lambda: _joma_setup(entry))
    M, K, N, Q = (int(setup[k]) for k in ("M", "K", "N", "queries"))
    embeddings, attention = str(setup["embeddings"]), str(setup["attention"])

    def build() -> CompiledFlow:
        from ..models import joma_block
        from ..numeric.compile import compile_spec_flow

        concrete = joma_block(
            M, K, N, attention=attention, queries=Q, activation=_ACT, loss="squared", embeddings=embeddings
        )
        theorem = entry.theorem()
        return compile_spec_flow(
            concrete, invariants=lambda: _quantities(theorem, concrete), invariants_key=f"catalogue:{theorem.name}"
        )[0]

    flow = entry.plan.flow("flow", build)
    settings = RefereeConfig(
        attention=attention,
        T=T_VALUE,
        activation=_ACT,
        loss="squared",
        queries=Q,
        embeddings=embeddings,
        eta_w=ETA_W,
        eta_z=ETA_Z,
    )
    ref = joma_referee(
        M,
        K,
        N * Q,
        settings,
        seed=seed,
    )
    theta0 = ref.init(scale=0.5, z_scale=0.3, seed=seed + 1)
    to_state = projector(ref, flow)
    values = referee_values(ref, theta0, Q)
    p = flow.param_vector(values)
    y0 = to_state(theta0[None])[0]
    gap = _velocity_gap(ref, theta0, flow, p, y0, to_state)

    def gd(eta: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
        run = descend(ref, theta0, eta=eta, t_end=t_end)
        return run.times, to_state(run.params)

    return Case(flow, p, y0, gd, "referee", gap, {"M": M, "K": K, "N": N, "queries": Q})


def projector(ref: JomaReferee, flow: CompiledFlow) -> Callable[[np.ndarray], np.ndarray]:
    """Map referee parameters (S, P) to symbolic states (S, n) by symbol name."""
    tags = ["", "b"][: ref.Q]
    names: list[str] = [f"z{t}{l}" for t in tags for l in range(1, ref.M + 1)]
    names += [f"v{k}_{l}" for k in range(1, ref.K + 1) for l in range(1, ref.M + 1)]
    names += [f"vm{t}{k}" for k in range(1, ref.K + 1) for t in tags]
    where = {name: i for i, name in enumerate(names)}
    order = np.array([where[s.name] for s in flow.state])

    def to_state(params: np.ndarray) -> np.ndarray:
        z, W = ref.unpack(params)
        v, vm = W @ ref.U, W @ ref.u_query  # (S, K, M), (S, K, Q)
        flat = np.concatenate(
            [z.reshape(len(params), -1), v.reshape(len(params), -1), vm.reshape(len(params), -1)], axis=1
        )
        return flat[:, order]

    return to_state


def referee_values(ref: JomaReferee, theta0: np.ndarray, Q: int) -> dict[str, float]:
    """Values of the symbolic model's data and constants from the referee (``bbar`` = E[b] at ``theta0``)."""
    tags = ["", "b"][:Q]
    vals: dict[str, float] = {"T": ref.T, "eta_w": ref.eta_w, "eta_z": ref.eta_z}
    for s in range(ref.N):
        t, n = tags[s % Q], s // Q + 1
        for l in range(ref.M):
            vals[f"x{t}{n}_{l + 1}"] = float(ref.x[s, l])
        for k in range(ref.K):
            vals[f"y{t}{k + 1}_{n}"] = float(ref.targets[s, k])
    gram = np.concatenate([ref.U, ref.u_query], axis=1)
    gram = gram.T @ gram
    for i in range(gram.shape[0]):
        for j in range(i + 1, gram.shape[0]):
            vals[f"eps_{i + 1}_{j + 1}"] = float(gram[i, j])
    b = ref._forward(theta0)["b"][ref.query == 0]
    for l in range(ref.M):  # bbar = E[b] over the first query's samples, at the start
        vals[f"bbar{l + 1}"] = float(b[:, l].mean())
    return vals


def _velocity_gap(ref, theta0, flow, p, y0, to_state) -> float:
    """Referee velocity pushed through the (linear) projection vs the compiled flow."""
    proj_vel = to_state(ref.velocity(theta0)[None])[0]  # the projection is linear in theta
    sym = flow.rhs(y0, p)
    return float(np.abs(proj_vel - sym).max() / max(np.abs(sym).max(), 1e-300))


# Lu et al.: the Lu referee, with the compiled flow as a cross-check ------------------------------
def _lu_case(entry: Entry, sizes: dict, seed: int) -> Case:
    from . import lu_referee as oracle_lu

    variant = oracle_lu.LuVariant(**entry.plan.value("lu-variant", lambda: dict(entry.inputs())))
    flow, theta0, ref_sizes = oracle_lu.lu_referee(entry, variant, seed)
    gap = oracle_lu.velocity_gap(variant, seed, flow=oracle_lu.symbolic_flow(variant, entry.plan))

    def gd(eta: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
        run = descend(flow.ref, theta0, eta=eta, t_end=t_end)
        return run.times, run.params

    details = {
        "time_scale": oracle_lu.TIME_SCALE,
        "quantity": f"derivations.{entry.name.replace('-', '_')}.quantity(spec) at d_e = d_k = "
        f"{oracle_lu.DIM}, compiled by compile_expression, evaluated on each topic word",
        "velocity_gap_sizes": {"m": oracle_lu.GAP_M, "d_e": oracle_lu.GAP_DIM, "classes": oracle_lu.GAP_CLASSES},
    }
    cross = _generic_case(entry, sizes, seed)
    return Case(flow, np.zeros(0), theta0, gd, "referee", gap, ref_sizes, cross_check=cross, details=details)  # type: ignore[arg-type]


# other models: Euler on the compiled flow ------------------------------------------------------
_SIMPLEX = re.compile(r"^(xb?\d+)_(\d+)$")


def _concrete_spec(theorem: Theorem) -> ModelSpec:
    spec = theorem.largest_spec()
    return replace(spec, loss=concretise(spec.loss))


def _compiled_generic(entry: Entry) -> tuple[list[str], CompiledFlow]:
    """The concrete spec's constant names and compiled flow at the theorem's largest size (the plan's)."""

    def build() -> CompiledFlow:
        from ..numeric.compile import compile_spec_flow

        theorem = entry.theorem()
        spec = _concrete_spec(theorem)
        return compile_spec_flow(
            spec, invariants=lambda: _quantities(theorem, spec), invariants_key=f"catalogue:{theorem.name}"
        )[0]

    flow = entry.plan.flow("generic-flow", build)
    constants = entry.plan.value(
        "generic-constants", lambda: [s.name for s in _concrete_spec(entry.theorem()).constants]
    )
    return list(constants), flow


def _generic_case(entry: Entry, sizes: dict, seed: int) -> Case:
    constants, flow = _compiled_generic(entry)
    rng = np.random.default_rng(seed)
    for _ in range(20):  # a start where nothing moves (e.g. every ReLU inactive) checks nothing
        p, y0 = _draw(flow, constants, rng)
        if np.abs(flow.rhs(y0, p)).max() > 1e-6:
            break

    def gd(eta: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
        run = descend(lambda y: flow.rhs(y, p), y0, eta=eta, t_end=t_end)
        return run.times, run.params

    return Case(flow, p, y0, gd, "compiled flow", None, {k: v for k, v in sizes.items() if v is not None})


def _draw(flow: CompiledFlow, constants: list[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random data (simplex rows for frequencies, Gaussian otherwise), constants and a start."""
    vals: dict[str, float] = {}
    rows: dict[str, list[str]] = {}
    for s in flow.params:
        m = _SIMPLEX.match(s.name)
        if m:
            rows.setdefault(m[1], []).append(s.name)
        elif s.name in constants:
            vals[s.name] = {"T": T_VALUE, "eta_w": ETA_W, "eta_z": ETA_Z, "eta": 1.0, "m": 3.0}.get(
                s.name, float(rng.uniform(0.5, 1.0))
            )
        else:
            vals[s.name] = float(rng.normal())
    for names in rows.values():
        vals.update(zip(names, rng.dirichlet(np.ones(len(names))), strict=True))
    return flow.param_vector(vals), 0.3 * rng.standard_normal(len(flow.state))
