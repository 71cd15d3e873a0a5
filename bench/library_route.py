"""The library route for index-form flows: ``sympy.cse``-style sharing + ``opt_einsum`` contractions.

The baseline against which ``theory.numeric.indexed_print`` (the hand-written printer) is
measured in ``bench_printer_routes.py``.  It is what a user would build from well-kept
libraries instead of a custom printer:

* every distinct sub-expression of the index-form right-hand sides becomes one step of a
  plan, computed once per call (common sub-expressions shared, as ``sympy.cse`` does; the
  tree is walked directly because ``cse`` does not look inside ``Sum``);
* every ``Sum`` over a product is one ``opt_einsum.contract_expression`` with a contraction
  path optimised once per array shape and cached (``optimize="optimal"`` on the first call);
* other sums are ``numpy.sum`` over the summed axes; elementwise functions are NumPy ufuncs
  with broadcasting over the union of the operands' index axes.

SymPy's own array-expression route (``convert_indexed_to_array`` and the NumPy printer) was
tried first: it raises on these flows (elementwise ``tanh``/``exp`` of contractions are outside
its array algebra), so it cannot serve as the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import opt_einsum
import sympy as sp

from theory.symbolic.indexed import SIZE_OF, IndexedFlow

_UFUNCS: dict[type, Callable[[Any], Any]] = {sp.exp: np.exp, sp.tanh: np.tanh, sp.log: np.log, sp.cos: np.cos}


class LibraryRoute:
    """Evaluate an :class:`~theory.symbolic.indexed.IndexedFlow` right-hand side with NumPy and opt_einsum.

    ``rhs(y, x, tg, T, eta_w, eta_z)`` has the signature of the compiled flow's ``rhs``.
    """

    def __init__(self, flow: IndexedFlow) -> None:
        self.flow = flow
        order = sorted(SIZE_OF, key=lambda s: "cknijl".index(s.name))
        self.rank = {s: r for r, s in enumerate(order)}
        self.steps: list[tuple[sp.Expr, tuple[sp.Symbol, ...], Callable[[dict], Any]]] = []
        self.slot: dict[sp.Expr, int] = {}
        self.outputs = [(name, free, self._node(e)) for name, free, e in flow.blocks]
        self.paths: dict[tuple, Any] = {}

    def _axes(self, e: sp.Expr) -> tuple[sp.Symbol, ...]:
        free = {s for s in e.free_symbols if s in self.rank}
        return tuple(sorted(free, key=self.rank.__getitem__))

    def _lift(self, value: Any, axes: tuple, target: tuple) -> Any:
        if axes == target or np.ndim(value) == 0:
            return value
        return value[tuple(slice(None) if t in axes else None for t in target)]

    def _node(self, e: sp.Expr) -> int:
        if e in self.slot:
            return self.slot[e]
        axes = self._axes(e)
        fn = self._build(e, axes)
        self.steps.append((e, axes, fn))
        self.slot[e] = len(self.steps) - 1
        return self.slot[e]

    def _build(self, e: sp.Expr, axes: tuple) -> Callable[[dict], Any]:
        if isinstance(e, sp.Indexed):
            base = str(e.base)
            idx = tuple(e.indices)
            perm = [idx.index(a) for a in axes]
            return lambda env: env[base].transpose(perm) if perm != sorted(perm) else env[base]
        if isinstance(e, sp.Symbol):
            name = e.name
            return lambda env: env[name]
        if e.is_Number:
            v = float(e)
            return lambda env: v
        if isinstance(e, sp.Sum):
            return self._sum(e, axes)
        args = [(self._node(a), self._axes(a)) for a in e.args]
        if isinstance(e, sp.Add):
            return lambda env: sum(self._lift(env[i], ax, axes) for i, ax in args)
        if isinstance(e, sp.Mul):

            def mul(env: dict) -> Any:
                out = 1.0
                for i, ax in args:
                    out = out * self._lift(env[i], ax, axes)
                return out

            return mul
        if isinstance(e, sp.Pow):
            (b, bax), (p, _) = args
            return lambda env: self._lift(env[b], bax, axes) ** env[p]
        if type(e) in _UFUNCS:
            f, ((a, _),) = _UFUNCS[type(e)], args
            return lambda env: f(env[a])
        raise NotImplementedError(f"library route: no rule for {type(e).__name__}")

    def _sum(self, e: sp.Sum, axes: tuple) -> Callable[[dict], Any]:
        summand = e.function
        summed = tuple(lim[0] for lim in e.limits)
        inner = self._axes(summand)
        factors = sp.Mul.make_args(summand)
        letters = {s: "abcdefgh"[r] for s, r in self.rank.items()}
        if len(factors) > 1:
            parts = [(self._node(f), self._axes(f)) for f in factors]
            arrays = [p for p in parts if p[1]]
            scalars = [p[0] for p in parts if not p[1]]
            inputs = ",".join("".join(letters[a] for a in ax) for _, ax in arrays)
            spec = inputs + "->" + "".join(letters[a] for a in axes)
            # a summed index absent from every factor contributes its range as a factor
            absent = [s for s in summed if not any(s in ax for _, ax in arrays)]

            def contract(env: dict) -> Any:
                ops = [env[i] for i, _ in arrays]
                key = (spec, *(o.shape for o in ops))
                if key not in self.paths:
                    self.paths[key] = opt_einsum.contract_expression(spec, *(o.shape for o in ops), optimize="optimal")
                out = self.paths[key](*ops)
                for i in scalars:
                    out = out * env[i]
                for s in absent:
                    out = out * env[str(SIZE_OF[s])]
                return out

            return contract
        node = self._node(summand)
        drop = tuple(inner.index(s) for s in summed if s in inner)
        return lambda env: np.sum(env[node], axis=drop) if drop else env[node]

    def rhs(self, y: np.ndarray, x: np.ndarray, tg: np.ndarray, T: float, eta_w: float, eta_z: float) -> np.ndarray:
        """The time derivative of the state ``y`` (layout of ``theory.numeric.indexed_flow``)."""
        N, M = x.shape
        K = tg.shape[0]
        w = y[: K * (M + 1)].reshape(K, M + 1)
        env: dict[Any, Any] = {"v": w[:, :M], "vm": w[:, M], "z": y[K * (M + 1) :], "x": x, "y": tg, "g": tg}
        env |= {"T": T, "eta_w": eta_w, "eta_z": eta_z, "M": M, "K": K, "N": N}
        for i, (_, _, fn) in enumerate(self.steps):
            env[i] = fn(env)
        out = np.empty_like(y)
        ow = out[: K * (M + 1)].reshape(K, M + 1)
        for name, _, i in self.outputs:
            if name == "v":
                ow[:, :M] = env[i]
            elif name == "vm":
                ow[:, M] = env[i]
            else:
                out[K * (M + 1) :] = env[i]
        return out
