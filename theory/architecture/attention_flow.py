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
    Per pair, on the subgraph of nodes that lie on some ``s -> t`` path (pruning), scipy's
    Dinic max-flow on integer capacities :math:`\\lfloor S c \\rfloor`, ``S = 2^{30}``.
    Rounding down keeps the integer flow feasible, so ``F / S`` is a *lower* bound; the
    the two trivial cuts (all edges out of the source; all edges into the sink from nodes
    the source reaches) are tried first, and when neither is within ``tol`` of ``F / S`` the
    residual graph gives a minimum cut of the integer problem.  The *true* float capacity
    ``U`` of the cut used is an *upper* bound (every cut bounds every flow).  We return ``U`` (it is exact
    whenever that cut is also a true minimum cut, the usual case) with the certified
    bound :math:`0 \\le U - \\mathrm{flow} \\le U - F/S \\le k / S` (``k`` = edges in the cut).
    A pair whose certified gap exceeds ``tol`` is recomputed exactly in floating point
    with networkx's preflow-push on the pruned subgraph.
``"networkx"``
    networkx preflow-push per pair on the pruned float subgraph.
``"reference"``
    networkx Edmonds-Karp per pair on the whole graph, as in Abnar & Zuidema's code
    (minutes at n = 32; for checks and the benchmark only).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from ..errors import InvalidArgument
from ._budgets import flow_budget
from .rollout import residual_mix

__all__ = [
    "SCALE",
    "FlowResult",
    "attention_flow",
    "flow_capacity_graph",
    "max_flow_edges",
    "max_flow_pair",
]

#: Integer scale of capacities for scipy's max-flow (int32: total flow must stay < 2**31).
SCALE = 2**30
METHODS = ("fast", "networkx", "reference")


@dataclass(frozen=True)
class FlowResult:
    """Per-pair flow values ``values[a, b]`` from output ``outputs[a]`` to input ``inputs[b]``.

    ``max_gap`` is the largest certified bound on ``|value - exact|`` (0 for exact methods);
    ``fallbacks`` counts pairs recomputed exactly because their gap exceeded the tolerance.
    """

    values: np.ndarray
    outputs: tuple[int, ...]
    inputs: tuple[int, ...]
    method: str
    max_gap: float
    fallbacks: int
    seconds: float

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
    supp = [c > 0 for c in capacities]
    n_layers, n = len(supp), supp[0].shape[0]
    down: list[np.ndarray] = [np.zeros((n, n), bool) for _ in range(n_layers + 1)]
    down[n_layers] = np.eye(n, dtype=bool)
    for layer in range(n_layers, 0, -1):
        down[layer - 1] = (down[layer].astype(np.int32) @ supp[layer - 1].astype(np.int32)) > 0
    up: list[np.ndarray] = [np.eye(n, dtype=bool)]
    for layer in range(1, n_layers + 1):
        up.append((up[layer - 1].astype(np.int32) @ supp[layer - 1].T.astype(np.int32)) > 0)
    return down, up


class _PairSolver:
    """Reusable per-graph state for the per-pair max-flows."""

    def __init__(self, capacities: np.ndarray) -> None:
        self.cap = np.asarray(capacities, dtype=np.float64)
        self.n_layers, self.n, _ = self.cap.shape
        self.graph = flow_capacity_graph(self.cap)
        self.igraph = self.graph.copy()
        self.igraph.data = np.floor(self.graph.data * SCALE).astype(np.int32)
        self.fcoo = self.graph.tocoo()
        self.down, self.up = _support_reach(self.cap)
        self._nx_full: nx.DiGraph | None = None
        self._struct: tuple[np.ndarray, ...] | None = None

    def nodes(self, i: int, j: int) -> np.ndarray:
        """Indices of nodes on some path from output ``i`` to input ``j`` (sorted)."""
        parts = [
            layer * self.n + np.flatnonzero(self.down[layer][i] & self.up[layer][j])
            for layer in range(self.n_layers + 1)
        ]
        return np.concatenate(parts)

    def reachable(self, i: int, j: int) -> bool:
        return bool(self.up[self.n_layers][j, i])

    def trivial_cut(self, i: int, j: int) -> float:
        """Smaller of the two trivial cuts: all edges out of the source, or all edges into
        the sink from nodes the source reaches.  Both are valid cuts: upper bounds."""
        out_of_source = float(self.cap[-1][i].sum())
        into_sink = float(self.cap[0][self.down[1][i], j].sum())
        return min(out_of_source, into_sink)

    def fast(self, i: int, j: int, tol: float = 0.0) -> tuple[float, float]:
        """(value, certified gap) by scaled integer Dinic + true capacity of a minimum cut.

        The trivial cuts are tried first; only if neither is within ``tol`` of the integer
        flow is the residual graph searched for the integer problem's minimum cut.
        """
        idx = self.nodes(i, j)
        dense = idx.size > 0.5 * self.graph.shape[0]  # pruning would cost more than it saves
        if dense:
            s, t = self.n_layers * self.n + i, j
            res = maximum_flow(self.igraph, s, t, method="dinic")
        else:
            sub = self.igraph[idx][:, idx].tocsr()
            s, t = idx.size - 1, 0  # idx is sorted: (L, i) is last, (0, j) first
            res = maximum_flow(sub, s, t, method="dinic")
        lower = res.flow_value / SCALE
        trivial = self.trivial_cut(i, j)
        if trivial - lower <= tol:
            return trivial, max(trivial - lower, 0.0)
        if dense:
            return self._certify_full(res, s)
        fsub = self.graph[idx][:, idx].tocoo()
        resid = (sub - res.flow).tocsr()
        resid.data = (resid.data > 0).astype(np.int8)
        resid.eliminate_zeros()
        side = np.zeros(sub.shape[0], dtype=bool)
        side[breadth_first_order(resid, s, directed=True, return_predecessors=False)] = True
        upper = float(fsub.data[side[fsub.row] & ~side[fsub.col]].sum())
        return upper, max(upper - lower, 0.0)

    def _certify_full(self, res, s: int) -> tuple[float, float]:
        """Min cut from the residual of a whole-graph flow, reusing its sparsity structure."""
        flow = res.flow
        if self._struct is None or not np.array_equal(self._struct[0], flow.indptr):
            self._struct = self._align(flow)
        indptr, indices, rows, icap, fcap = self._struct
        pos = icap - flow.data > 0  # residual capacity of every stored (u, v)
        counts = np.add.reduceat(pos.astype(np.int64), indptr[:-1]) if pos.size else pos
        counts = np.where(np.diff(indptr) > 0, counts, 0)
        new_ptr = np.concatenate([[0], np.cumsum(counts)])
        size = indptr.size - 1
        resid = sp.csr_matrix((np.ones(int(new_ptr[-1]), np.int8), indices[pos], new_ptr), shape=(size, size))
        side = np.zeros(size, dtype=bool)
        side[breadth_first_order(resid, s, directed=True, return_predecessors=False)] = True
        upper = float(fcap[side[rows] & ~side[indices]].sum())
        return upper, max(upper - res.flow_value / SCALE, 0.0)

    def _align(self, flow: sp.csr_matrix) -> tuple[np.ndarray, ...]:
        """Capacities (int and float) aligned with the flow matrix's stored entries."""
        size = flow.shape[0]
        rows = np.repeat(np.arange(size), np.diff(flow.indptr))
        key = rows.astype(np.int64) * size + flow.indices
        g = self.fcoo
        gkey = g.row.astype(np.int64) * size + g.col
        order = np.argsort(gkey)
        gkey, gval = gkey[order], g.data[order]
        at = np.clip(np.searchsorted(gkey, key), 0, gkey.size - 1)
        hit = gkey[at] == key
        fcap = np.where(hit, gval[at], 0.0)
        icap = np.floor(fcap * SCALE).astype(np.int64)
        return flow.indptr.copy(), flow.indices.copy(), rows, icap, fcap

    def exact(self, i: int, j: int) -> float:
        """Float max-flow by networkx preflow-push on the pruned subgraph."""
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


def _solve_rows(args: tuple) -> tuple[np.ndarray, float, int]:
    capacities, outputs, inputs, method, tol = args
    solver = _PairSolver(capacities)
    vals = np.zeros((len(outputs), len(inputs)))
    max_gap, fallbacks = 0.0, 0
    for a, i in enumerate(outputs):
        for b, j in enumerate(inputs):
            if method == "reference":
                vals[a, b] = solver.reference(i, j)
                continue
            if not solver.reachable(i, j):
                continue
            if method == "networkx":
                vals[a, b] = solver.exact(i, j)
                continue
            value, gap = solver.fast(i, j, tol)
            if gap > tol:
                value, gap = solver.exact(i, j), 0.0
                fallbacks += 1
            vals[a, b] = value
            max_gap = max(max_gap, gap)
    return vals, max_gap, fallbacks


def max_flow_edges(capacities: np.ndarray, output: int, input_: int) -> tuple[float, sp.csr_matrix]:
    """The integer-scaled flow of one pair as a float edge-flow matrix (for checks).

    Returns ``(F / S, flow)`` where ``flow[u, v] > 0`` is the flow on edge ``u -> v`` of
    :func:`flow_capacity_graph` (reverse entries, negative, dropped).  Rounding capacities
    down makes it a feasible flow for the true capacities: ``flow <= capacity`` edgewise.
    """
    solver = _PairSolver(np.asarray(capacities, dtype=np.float64))
    s = solver.n_layers * solver.n + int(output)
    res = maximum_flow(solver.igraph, s, int(input_), method="dinic")
    flow = res.flow.astype(np.float64).tocsr() / SCALE
    flow.data[flow.data < 0] = 0.0
    flow.eliminate_zeros()
    return res.flow_value / SCALE, flow.tocsr()


def max_flow_pair(capacities: np.ndarray, output: int, input_: int, *, method: str = "fast") -> float:
    """Flow value of one (output, input) pair through ``(L, n, n)`` capacities."""
    res = attention_flow(capacities, residual=None, outputs=[output], inputs=[input_], method=method)
    return float(res.values[0, 0])


def attention_flow(
    attn: np.ndarray,
    *,
    residual: float | None = 0.5,
    method: str = "fast",
    outputs: list[int] | None = None,
    inputs: list[int] | None = None,
    layer: int | None = None,
    tol: float = 1e-7,
    workers: int = 1,
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
        Certified-gap threshold above which "fast" recomputes a pair exactly.
    workers : int
        Processes to split the outputs over.
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
    if tol < 0 or workers < 1:
        raise InvalidArgument(f"need tol >= 0 and workers >= 1, got tol={tol}, workers={workers}")
    flow_budget(cap.shape[0], n, len(outs), len(ins))
    t0 = time.perf_counter()
    workers = min(workers, len(outs), os.cpu_count() or 1)
    if workers == 1:
        vals, gap, fb = _solve_rows((cap, outs, ins, method, tol))
    else:
        chunks = [outs[k::workers] for k in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_solve_rows, [(cap, c, ins, method, tol) for c in chunks]))
        vals = np.zeros((len(outs), len(ins)))
        for k, (v, _, _) in enumerate(parts):
            vals[k::workers] = v
        gap = max(p[1] for p in parts)
        fb = sum(p[2] for p in parts)
    return FlowResult(
        values=vals,
        outputs=tuple(outs),
        inputs=tuple(ins),
        method=method,
        max_gap=float(gap),
        fallbacks=int(fb),
        seconds=time.perf_counter() - t0,
    )
