"""Benchmark: how the discovery and the law count grow with the number of parameters.

Run: ``python bench/bench_discovery.py [--quick] [--json]``.

Prints, for two-layer linear networks ``g = U V^T x`` of growing size and for the JoMA exp
block, the seconds of ``polynomial_laws`` (degree 2) and of ``count_laws``, the count, and the
ratio to the issue's targets (linear networks up to 100 parameters in 10 s; ``count-laws``
for one attention head with d1 = 2, dim = 3, N = 2 in 60 s; the largest rows only without
``--quick``).  The expected counts are the published r(r+1)/2 (Marcotte, Gribonval & Peyre,
NeurIPS 2023) and d1(d1+1) for a head (Marcotte et al., ICML 2025), checked, not timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import sympy as sp

from theory.models import blocks, joma_block
from theory.models.network import network
from theory.symbolic import derive_flow
from theory.symbolic.laws import polynomial_laws
from theory.symbolic.lie import count_laws

TARGET_S = 10.0


def linear_net(n: int, r: int, m: int):
    U = sp.Matrix(n, r, lambda a, b: sp.Symbol(f"U{a + 1}_{b + 1}", real=True))
    V = sp.Matrix(m, r, lambda a, b: sp.Symbol(f"V{a + 1}_{b + 1}", real=True))
    X = sp.Matrix(m, 1, lambda a, b: sp.Symbol(f"x{a + 1}", real=True))
    return network(U * V.T * X, {"U": U, "V": V}, list(X), name=f"linear {n}x{r}x{m}")


def row(name: str, spec, laws: bool, expected: int | None) -> dict:
    flow = derive_flow(spec)
    t0 = time.perf_counter()
    found = len(polynomial_laws(flow, 2).laws) if laws else None
    t1 = time.perf_counter()
    c = count_laws(flow)
    t2 = time.perf_counter()
    out = {
        "model": name,
        "parameters": len(flow.state),
        "laws_degree2": found,
        "count": c.count,
        "expected": expected,
        "laws_s": t1 - t0 if laws else None,
        "count_s": t2 - t1,
    }
    print(f"  {name}: D={out['parameters']} count={c.count} in {t2 - t1:.2f} s", file=sys.stderr)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes only (up to 24 parameters)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = p.parse_args()
    sizes = [(2, 2, 2), (3, 2, 3), (4, 3, 4)]
    if not args.quick:
        sizes += [(5, 5, 5), (5, 10, 5)]
    rows = [
        row(
            f"linear {n}x{r}x{m}",
            linear_net(n, r, m),
            (n * r + m * r) <= 12,
            r * (r + 1) // 2 if r <= min(n, m) else None,
        )
        for n, r, m in sizes
    ]
    rows.append(row("joma-exp M=2 K=1 N=1", joma_block(2, 1, 1, attention="exp", activation="tanh"), True, 2))
    rows.append(row("head N=2 dim=2 d1=1", blocks.attention(2, 2, 1), True, 2))
    if not args.quick:
        rows.append(row("head N=2 dim=3 d1=2", blocks.attention(2, 3, 2), True, 6))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'model':24} {'D':>4} {'laws(d=2)':>9} {'count':>5} {'expected':>8} {'laws s':>7} {'count s':>8}"
        f" {'count s / 10 s':>14}"
    )
    for r in rows:
        ls = "-" if r["laws_s"] is None else f"{r['laws_s']:.2f}"
        print(
            f"{r['model']:24} {r['parameters']:>4} {r['laws_degree2']!s:>9} {r['count']:>5} {r['expected']!s:>8} "
            f"{ls:>7} {r['count_s']:>8.2f} {r['count_s'] / TARGET_S:>14.2f}"
        )
    print("targets: linear networks up to 100 parameters in 10 s, the d1=2 head in 60 s (ratio <= 1, idle machine)")


if __name__ == "__main__":
    main()
