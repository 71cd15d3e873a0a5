"""Benchmark: cost of a finite-difference gradient against the parameter count.

Run: ``python bench/bench_fd.py [--quick]``.  For referee JoMA blocks of growing size the
gradient is computed side by side by hand back-propagation, by central differences with one
batched call of the loss (all 2P perturbed points at once), by central differences point by
point, and by the complex step (batched).  Times are per gradient; the ratios to
back-propagation show the O(P) cost of differencing and the gain from batching.

Internal measurement, not a speed claim: finite differences are the independent referee of
the numerical checks (they never see the symbolic gradient), and this prints what that
independence costs against back-propagation (the baseline: the gradient a user would compute).
"""

from __future__ import annotations

import argparse
import json
import timeit

import numpy as np

from theory.numeric.finite_diff import central_gradient
from theory.numeric.referee import joma_referee


def _time(fn, quick: bool) -> float:
    number = 1 if quick else 3
    return min(timeit.repeat(fn, number=number, repeat=3)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller models only")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    sizes = [(4, 2), (10, 4), (20, 8), (40, 8)] if args.quick else [(4, 2), (10, 4), (20, 8), (40, 8), (80, 8)]
    rows = []
    for M, K in sizes:
        model = joma_referee(M, K, 16, attention="softmax", activation="tanh", seed=0)
        theta = model.init(seed=1, z_scale=0.3)
        t_bp = _time(lambda m=model, th=theta: m.gradient(th), args.quick)
        t_batched = _time(lambda m=model, th=theta: central_gradient(m.loss, th, batched=True), args.quick)
        t_loop = _time(lambda m=model, th=theta: central_gradient(m.loss, th), args.quick)
        t_cs = _time(lambda m=model, th=theta: m.gradient(th, method="complex"), args.quick)
        err = float(np.abs(central_gradient(model.loss, theta, batched=True) - model.gradient(theta)).max())
        rows.append(
            {
                "M": M,
                "K": K,
                "params": model.n_params,
                "backprop_ms": t_bp * 1e3,
                "central_batched_ms": t_batched * 1e3,
                "central_loop_ms": t_loop * 1e3,
                "complex_batched_ms": t_cs * 1e3,
                "central_max_error": err,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'P':>6} {'backprop':>9} {'FD batched':>11} {'FD loop':>9} {'complex':>9} {'loop/batched':>12} "
        f"{'FD/backprop':>11} {'FD error':>9}"
    )
    for r in rows:
        print(
            f"{r['params']:>6} {r['backprop_ms']:>8.2f}m {r['central_batched_ms']:>10.2f}m "
            f"{r['central_loop_ms']:>8.1f}m "
            f"{r['complex_batched_ms']:>8.2f}m {r['central_loop_ms'] / r['central_batched_ms']:>12.1f} "
            f"{r['central_batched_ms'] / r['backprop_ms']:>11.0f} {r['central_max_error']:>9.1e}"
        )
    print("(times per gradient in ms; FD error = max |central - backprop|; internal: the cost of the FD referee)")


if __name__ == "__main__":
    main()
