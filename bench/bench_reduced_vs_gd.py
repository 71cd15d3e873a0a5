"""Benchmark: the reduced JoMA ODE vs full-model gradient descent on the same trajectory.

Run: ``python bench/bench_reduced_vs_gd.py [--quick]``.  The full model is the referee
(:mod:`theory.numeric.referee`: weights W in R^{K x d} with d = 4 (M + 1) embedding
dimensions, hand back-propagation).  The reduced model is the index-form flow in the
projected coordinates (z, v = U^T w, v_m) compiled to NumPy and solved with DOP853.
Gradient descent is run with eta halved until its projected trajectory matches the ODE to
1e-3 (max abs over the horizon, checked at 21 times); both are timed side by side and the
ratio printed.

Baseline: full-model gradient descent with back-propagation, run at the step that reaches the
ODE's accuracy -- the algorithm the paper's code trains with, asked for the same answer.  Note
the "reduced" model here is the *projected* flow (z, v, v_m: attention still in the state);
the reduced dynamics proper (z integrated out) is ``bench_reduced_vs_full.py``.  The cost of
the same descent with central finite-difference gradients is extrapolated from timed steps and
printed as an internal figure only (nobody would train with finite differences: a straw man
as a baseline).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from theory.numeric.descent import descend
from theory.numeric.indexed_flow import compile_indexed
from theory.numeric.ode import solve_flow
from theory.numeric.referee import joma_referee
from theory.symbolic.indexed import joma_indexed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="M = 20, K = 4, N = 16, t_end 4")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    M, K, N, t_end = (20, 4, 16, 4.0) if args.quick else (50, 8, 32, 8.0)
    model = joma_referee(M, K, N, attention="softmax", activation="tanh", T=0.5, d=4 * (M + 1), seed=0)
    theta0 = model.init(scale=0.5, z_scale=0.5, seed=1)
    flow = compile_indexed(joma_indexed(attention="softmax", activation="tanh"))

    def project(params: np.ndarray) -> np.ndarray:
        z, v, vm = model.projections(params)
        return flow.pack(v, vm[:, 0], z[0])

    y0 = project(theta0)
    data = (model.x, model.targets.T, model.T, model.eta_w, model.eta_z)
    t0 = time.perf_counter()
    ode = solve_flow(lambda y: flow.rhs(y, *data), y0, t_end, rtol=1e-8, atol=1e-10, n_points=21)
    t_ode = time.perf_counter() - t0
    eta, rows = 0.1, []
    while True:
        steps_per_point = max(1, round(t_end / 20 / eta))
        t0 = time.perf_counter()
        run = descend(model, theta0, eta=eta, steps=20 * steps_per_point, record_every=steps_per_point)
        t_gd = time.perf_counter() - t0
        err = float(max(np.abs(project(p) - y).max() for p, y in zip(run.params, ode.y, strict=True)))
        rows.append({"eta": eta, "steps": 20 * steps_per_point, "seconds": t_gd, "max_error": err})
        if err < 1e-3 or eta < 1e-5:
            break
        eta /= 2
    t0 = time.perf_counter()
    for _ in range(2):
        model.gradient(theta0, method="central")
    fd_step = (time.perf_counter() - t0) / 2
    fd_total = fd_step * rows[-1]["steps"]
    result = {
        "sizes": {"M": M, "K": K, "N": N, "d": model.d, "full_params": model.n_params, "reduced_state": y0.size},
        "t_end": t_end,
        "ode_seconds": t_ode,
        "ode_nfev": ode.nfev,
        "gd": rows,
        "ratio_gd_backprop_over_ode": rows[-1]["seconds"] / t_ode,
        "gd_fd_seconds_extrapolated": fd_total,
        "ratio_gd_fd_over_ode": fd_total / t_ode,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s = result["sizes"]
    print(f"M={M} K={K} N={N} d={s['d']}: full model {s['full_params']} parameters, reduced state {s['reduced_state']}")
    print(f"reduced ODE (DOP853, rtol 1e-8): {t_ode * 1e3:.1f} ms, {ode.nfev} rhs evaluations")
    for r in rows:
        gd = f"  GD eta={r['eta']:.2e}: {r['steps']} steps, {r['seconds'] * 1e3:.0f} ms"
        print(f"{gd}, max |GD - ODE| = {r['max_error']:.2e}")
    print(
        f"ratio GD(backprop, error < 1e-3) / ODE: {result['ratio_gd_backprop_over_ode']:.0f}x   "
        "(projected flow; the >= 100x goal is the reduced flow's: bench_reduced_vs_full.py)"
    )
    print(f"internal only: GD(central differences, extrapolated) / ODE: {result['ratio_gd_fd_over_ode']:.0f}x")


if __name__ == "__main__":
    main()
