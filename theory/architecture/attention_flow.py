"""Attention flow (Abnar & Zuidema, 2020): per-pair max-flow through the layered graph.

Role: the exact effective-receptive-field measure on attention maps, fast.

The graph has nodes ``(l, p)`` for layers ``l = 0..L`` and positions ``p``; layer ``l``'s
residual-mixed attention :math:`\\hat A_l` (see :mod:`~theory.architecture.rollout`) gives
edges ``(l, i) -> (l-1, j)`` of capacity :math:`\\hat A_l[i, j]`.  The flow of output ``i``
to input ``j`` is the max-flow value from ``(L, i)`` to ``(0, j)``.  (One max-flow from a
super-source only gives the total, which is 1 for row-stochastic maps, not per-pair values.)

Methods
-------
``"fast"`` (default)
    :class:`~theory.architecture.flow_solver.LayeredSolver`: per pair, SciPy's compiled
    Dinic on the pair's layered graph with capacities scaled to integers, a lower bound from
    the integer flow and an upper bound from a cut (trivial or the integer problem's
    minimum cut), refined by capacity scaling on the float residual graph until the
    certified gap is at most ``tol`` times the value.  The value returned is the capacity of
    a cut (exact whenever that cut is minimum, the usual case) and ``gap`` bounds
    ``value - maxflow``.  A pair still above ``tol`` after the refinements is recomputed in
    floating point by networkx preflow-push (counted in ``fallbacks``).
``"networkx"``
    networkx preflow-push per pair on the pruned float subgraph.
``"reference"``
    networkx Edmonds-Karp per pair on the whole graph, as in Abnar & Zuidema's code
    (minutes at n = 32; for checks and the benchmark only).

Pairs are split over ``workers`` processes (each builds its solver once) and a tqdm
progress bar on stderr counts pairs when ``progress`` is on.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow
from tqdm import tqdm

from ..errors import InvalidArgument
from ._budgets import flow_budget
from .flow_solver import SCALE, LayeredSolver
from .rollout import residual_mix

__all__ = [
    "DEFAULT_TOL",
    "SCALE",
    "FlowResult",
    "attention_flow",
    "flow_capacity_graph",
    "max_flow_edges",
    "max_flow_pair",
]

#: Default relative certified gap of the "fast" method (see :func:`attention_flow`).
DEFAULT_TOL = 1e-6
METHODS = ("fast", "networkx", "reference")


@dataclass(frozen=True)
class FlowResult:
    """Per-pair flow values ``values[a, b]`` from output ``outputs[a]`` to input ``inputs[b]``.

    ``gaps[a, b]`` bounds the error of ``values[a, b]``: ``0 <= value - maxflow <= gap``
    (0 for the float methods and fallback pairs, up to float64 roundoff); ``max_gap`` is the
    largest; ``fallbacks`` counts pairs recomputed in floating point because their gap
    stayed above the tolerance.
    """

    values: np.ndarray
    outputs: tuple[int, ...]
    inputs: tuple[int, ...]
    method: str
    max_gap: float
    fallbacks: int
    seconds: float
    gaps: np.ndarray

    def normalized(self) -> np.ndarray:
        """Rows scaled to sum to 1, as Abnar & Zuidema's code reports flow."""
        s = self.values.sum(axis=1, keepdims=True)
        return np.divide(self.values, s, out=np.zeros_like(self.values), where=s > 0)


def flow_capacity_graph(capacities: np.ndarray) -> sp.csr_matrix:
    """Sparse ``((L+1) n, (L+1) n)`` capacity matrix; node ``(l, p)`` has index ``l n + p``."""
    c = np.asarray(capacities, dtype=np.float64)
    n_layers, n, _ = c.shape
    rows, cols, vals = [], [], []
    for layer in range(1, n_layers + 1):
        i, j = np.nonzero(c[layer - 1] > 0)
        rows.append(layer * n + i)
        cols.append((layer - 1) * n + j)
        vals.append(c[layer - 1][i, j])
    size = (n_layers + 1) * n
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size))


def _support_reach(capacities: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``down[l][i]``: layer-``l`` nodes reachable from output ``i`` (top layer);
    ``up[l][j]``: layer-``l`` nodes that reach input ``j``.  Boolean ``(n, n)`` each."""
    supp = [(c > 0).astype(np.float64) for c in capacities]  # 0/1 products by BLAS: exact counts
    n_layers, n = len(supp), supp[0].shape[0]
    down: list[np.ndarray] = [np.zeros((n, n), bool) for _ in range(n_layers + 1)]
    down[n_layers] = np.eye(n, dtype=bool)
    for layer in range(n_layers, 0, -1):
        down[layer - 1] = (down[layer].astype(np.float64) @ supp[layer - 1]) > 0
    up: list[np.ndarray] = [np.eye(n, dtype=bool)]
    for layer in range(1, n_layers + 1):
        up.append((up[layer - 1].astype(np.float64) @ supp[layer - 1].T) > 0)
    return down, up


class _PairSolver:
    """networkx per-pair solvers (the exact float baselines) on one graph."""

    def __init__(self, capacities: np.ndarray) -> None:
        self.cap = np.asarray(capacities, dtype=np.float64)
        self.n_layers, self.n, _ = self.cap.shape
        self.graph = flow_capacity_graph(self.cap)
        self.down, self.up = _support_reach(self.cap)
        self._nx_full: nx.DiGraph | None = None

    def nodes(self, i: int, j: int) -> np.ndarray:
        """Indices of nodes on some path from output ``i`` to input ``j`` (sorted)."""
        parts = [
            layer * self.n + np.flatnonzero(self.down[layer][i] & self.up[layer][j])
            for layer in range(self.n_layers + 1)
        ]
        return np.concatenate(parts)

    def reachable(self, i: int, j: int) -> bool:
        return bool(self.up[self.n_layers][j, i])

    def exact(self, i: int, j: int) -> float:
        """Float max-flow by networkx preflow-push on the pruned subgraph."""
        if not self.reachable(i, j):
            return 0.0
        idx = self.nodes(i, j)
        sub = self.graph[idx][:, idx].tocoo()
        g = nx.DiGraph()
        g.add_weighted_edges_from(
            zip(sub.row.tolist(), sub.col.tolist(), sub.data.tolist(), strict=True), weight="capacity"
        )
        return float(nx.maximum_flow_value(g, idx.size - 1, 0, flow_func=nx.algorithms.flow.preflow_push))

    def reference(self, i: int, j: int) -> float:
        """Abnar & Zuidema's way: Edmonds-Karp on the whole graph."""
        if self._nx_full is None:
            coo = self.graph.tocoo()
            g = nx.DiGraph()
            g.add_nodes_from(range(self.graph.shape[0]))
            g.add_weighted_edges_from(
                zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="capacity"
            )
            self._nx_full = g
        return float(
            nx.maximum_flow_value(
                self._nx_full,
                self.n_layers * self.n + i,
                j,
                flow_func=nx.algorithms.flow.edmonds_karp,
            )
        )


_WORKER: dict = {}


def _init_worker(capacities: np.ndarray, method: str, tol: float) -> None:
    """Build the solvers of one process once (the pairs then only carry indices)."""
    _WORKER.clear()
    _WORKER.update(cap=capacities, method=method, tol=tol, fast=None, nx=None)


def _solve_pairs(pairs: list[tuple[int, int]]) -> tuple[list[float], list[float], int]:
    """Values, certified gaps, and fallbacks of a chunk of pairs (worker side)."""
    method, tol = _WORKER["method"], _WORKER["tol"]
    if method != "fast" and _WORKER["nx"] is None:
        _WORKER["nx"] = _PairSolver(_WORKER["cap"])
    if method == "fast" and _WORKER["fast"] is None:
        _WORKER["fast"] = LayeredSolver(_WORKER["cap"])
    vals: list[float] = []
    gaps: list[float] = []
    fallbacks = 0
    for i, j in pairs:
        value, gap = 0.0, 0.0
        if method == "reference":
            value = _WORKER["nx"].reference(i, j)
        elif method == "networkx":
            value = _WORKER["nx"].exact(i, j)
        else:
            value, gap = _WORKER["fast"].solve(i, j, tol)
            if gap > tol * value:
                if _WORKER["nx"] is None:
                    _WORKER["nx"] = _PairSolver(_WORKER["cap"])
                value, gap = _WORKER["nx"].exact(i, j), 0.0
                fallbacks += 1
        vals.append(value)
        gaps.append(gap)
    return vals, gaps, fallbacks


def max_flow_edges(capacities: np.ndarray, output: int, input_: int) -> tuple[float, sp.csr_matrix]:
    """The integer-scaled flow of one pair as a float edge-flow matrix (for checks).

    Returns ``(F / S, flow)`` where ``flow[u, v] > 0`` is the flow on edge ``u -> v`` of
    :func:`flow_capacity_graph` (reverse entries, negative, dropped).  Rounding capacities
    down makes it a feasible flow for the true capacities: ``flow <= capacity`` edgewise.
    """
    cap = np.asarray(capacities, dtype=np.float64)
    graph = flow_capacity_graph(cap)
    graph.data = np.floor(graph.data * SCALE).astype(np.int32)
    s = cap.shape[0] * cap.shape[1] + int(output)
    res = maximum_flow(graph, s, int(input_), method="dinic")
    flow = res.flow.astype(np.float64).tocsr() / SCALE
    flow.data[flow.data < 0] = 0.0
    flow.eliminate_zeros()
    return res.flow_value / SCALE, flow.tocsr()


def max_flow_pair(capacities: np.ndarray, output: int, input_: int, *, method: str = "fast") -> float:
    """Flow value of one (output, input) pair through ``(L, n, n)`` capacities."""
    res = attention_flow(capacities, residual=None, outputs=[output], inputs=[input_], method=method)
    return float(res.values[0, 0])


def _chunks(pairs: list[tuple[int, int]], workers: int) -> list[list[tuple[int, int]]]:
    """About 8 chunks per worker (progress granularity; each chunk pays one pickling)."""
    size = max(1, min(256, -(-len(pairs) // (8 * workers))))
    return [pairs[k : k + size] for k in range(0, len(pairs), size)]


def _run(cap: np.ndarray, pairs: list[tuple[int, int]], method: str, tol: float, workers: int, bar) -> tuple:
    """``(values, gaps, fallbacks)`` of ``pairs`` in order, in-process or over ``workers``."""
    parts: dict[int, tuple[list[float], list[float]]] = {}
    chunks = _chunks(pairs, workers)
    fb = 0
    if workers == 1:
        _init_worker(cap, method, tol)
        for k, chunk in enumerate(chunks):
            v, g, f = _solve_pairs(chunk)
            parts[k], fb = (v, g), fb + f
            bar.update(len(chunk))
        _WORKER.clear()
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(cap, method, tol)) as pool:
            futures = {pool.submit(_solve_pairs, chunk): k for k, chunk in enumerate(chunks)}
            for fut in as_completed(futures):
                k = futures[fut]
                v, g, f = fut.result()
                parts[k], fb = (v, g), fb + f
                bar.update(len(chunks[k]))
    vals = np.asarray([v for k in range(len(chunks)) for v in parts[k][0]], dtype=np.float64)
    gaps = np.asarray([g for k in range(len(chunks)) for g in parts[k][1]], dtype=np.float64)
    return vals, gaps, fb


def attention_flow(
    attn: np.ndarray,
    *,
    residual: float | None = 0.5,
    method: str = "fast",
    outputs: list[int] | None = None,
    inputs: list[int] | None = None,
    layer: int | None = None,
    tol: float = DEFAULT_TOL,
    workers: int = 1,
    progress: bool | None = None,
) -> FlowResult:
    """Per-pair attention flow from outputs (layer ``layer``, default last) to inputs.

    Parameters
    ----------
    attn : ndarray
        ``(L, H, n, n)`` or ``(L, n, n)`` row-stochastic attention.
    residual : float or None
        Weight of attention against the identity (0.5 as in the paper); ``None`` uses
        ``attn`` (``(L, n, n)``) directly as capacities.
    method : {"fast", "networkx", "reference"}
        See the module docstring.
    outputs, inputs : list of int, optional
        Positions to compute (default all).
    layer : int, optional
        Output layer ``1..L`` (default ``L``).
    tol : float
        Relative certified gap: "fast" refines a pair until ``gap <= tol * value`` and
        recomputes it in floating point if it cannot.  The default ``1e-6`` is ten times the
        float32 rounding (6e-8) that real attention maps already carry; ``0`` asks for the
        float fallback on every pair whose scaled bounds are not exactly tight.
    workers : int
        Processes to split the pairs over.
    progress : bool, optional
        tqdm bar (pairs done, rate, time left) on stderr.  ``None`` (default): on for more
        than 2000 pairs when stderr is a terminal; ``True``: always; ``False``: never.
    """
    if method not in METHODS:
        raise InvalidArgument(f"unknown flow method {method!r}; expected one of {METHODS}")
    if residual is None:
        cap = np.asarray(attn, dtype=np.float64)
        if cap.ndim != 3 or cap.shape[1] != cap.shape[2]:
            raise InvalidArgument(f"capacities must have shape (L, n, n), got {cap.shape}")
        if not np.all(np.isfinite(cap)) or np.any(cap < 0) or np.any(cap.sum(axis=-1) > 1 + 1e-6):
            raise InvalidArgument("capacities must be finite, >= 0 with row sums <= 1 (int32 scaling)")
    else:
        cap = residual_mix(attn, residual=residual)
    n_layers, n = cap.shape[0], cap.shape[-1]
    if layer is not None:
        if not 1 <= layer <= n_layers:
            raise InvalidArgument(f"layer must be in 1..{n_layers}, got layer={layer}")
        cap = cap[:layer]
    outs = list(range(n)) if outputs is None else [int(x) for x in outputs]
    ins = list(range(n)) if inputs is None else [int(x) for x in inputs]
    for name, pos in (("output", outs), ("input", ins)):
        if any(not 0 <= p < n for p in pos):
            raise InvalidArgument(f"{name} positions must lie in 0..{n - 1}, got {pos}")
    if not (math.isfinite(tol) and 0 <= tol < 1) or workers < 1:
        raise InvalidArgument(f"need 0 <= tol < 1 and workers >= 1, got tol={tol}, workers={workers}")
    flow_budget(cap.shape[0], n, len(outs), len(ins))
    t0 = time.perf_counter()
    pairs = [(i, j) for i in outs for j in ins]
    workers = max(1, min(workers, len(pairs), os.cpu_count() or 1))
    # auto: a bar for long runs, hidden by tqdm when stderr is not a terminal; True forces it
    disable = (None if len(pairs) > 2000 else True) if progress is None else not progress
    with tqdm(total=len(pairs), desc=f"attention flow ({method})", unit="pair", disable=disable,
              file=sys.stderr, leave=False) as bar:  # fmt: skip
        flat, gaps, fb = _run(cap, pairs, method, tol, workers, bar)
    return FlowResult(
        values=flat.reshape(len(outs), len(ins)),
        outputs=tuple(outs),
        inputs=tuple(ins),
        method=method,
        max_gap=float(gaps.max(initial=0.0)),
        fallbacks=int(fb),
        seconds=time.perf_counter() - t0,
        gaps=gaps.reshape(len(outs), len(ins)),
    )
