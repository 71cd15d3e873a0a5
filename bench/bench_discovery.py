"""Benchmark: how the discovery and the law count grow with the number of parameters.

Run: ``python bench/bench_discovery.py [--quick] [--json]``.

Prints, for two-layer linear networks ``g = U V^T x`` of growing size and for the JoMA exp
block, the seconds of ``polynomial_laws`` (degree 2) and of ``count_laws``, the count, and the
ratio to the issue's targets (linear networks up to 100 parameters in 10 s; ``count-laws``
for one attention head with d1 = 2, dim = 3, N = 2 in 60 s; the largest rows only without
``--quick``).  A second table times ``count_laws`` of attention heads at ``max_depth`` 3 against
the deepest allowed, 8 (rational fields are bracketed by their jets at the point), with the ratio
of the two times measured in the same run, and the same for a rational Goursat pair of fields
whose rank grows at depth 4 (ranks 2, 3, 4, 5, 5 by hand, count 1; depth 3 alone gives 2).
A third prints the head's count time with the jets forced to orders 2, 3, 4: the price of each
extra depth for a model whose rank would keep growing (conversion of the fields dominates).
The expected counts are the published r(r+1)/2 (Marcotte, Gribonval & Peyre,
NeurIPS 2023) and d1(d1+1) for a head (Marcotte et al., ICML 2025), checked, not timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import sympy as sp

from theory.models import blocks, custom, joma_block
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


MAX_DEPTH = 8


def goursat():
    """``s1 d_a + s2 (d_b + sum_i phi_i(a) d_i)`` with rational phi: ranks (2, 3, 4, 5, 5), one law."""
    import dataclasses

    theta = sp.symbols("a b c d e f", real=True)
    a = theta[0]
    s1, s2 = sp.symbols("s1 s2", real=True)
    flow = derive_flow(custom(sum(theta), {"w": list(theta)}, {"w": 1}, data=[s1, s2]))
    phis = [1 / (1 + a), 1 / (2 + a), 1 / (3 + a)]
    x2 = [0, 1, *phis, phis[0] + phis[1]]
    return dataclasses.replace(flow, rhs=tuple(s1 * int(i == 0) + s2 * q for i, q in enumerate(x2)))


def depth_row(name: str, flow, expected: int) -> dict:
    times, counts = [], []
    for depth in (3, MAX_DEPTH):
        t0 = time.perf_counter()
        c = count_laws(flow, max_depth=depth)
        times.append(time.perf_counter() - t0)
        counts.append(c)
    shallow, deep = counts
    print(f"  {name}: depth 3 {times[0]:.2f} s, depth {MAX_DEPTH} {times[1]:.2f} s", file=sys.stderr)
    return {
        "model": name,
        "parameters": len(flow.state),
        "count_depth3": shallow.count,
        "closed_depth3": shallow.closed,
        "count_deep": deep.count,
        "closed_deep": deep.closed,
        "depth_reached": deep.depth,
        "expected": expected,
        "depth3_s": times[0],
        "deep_s": times[1],
        "ratio": times[1] / times[0],
    }


def jet_orders(flow, name: str) -> list[dict]:
    """Time of ``count_laws`` with the jets forced to orders 2, 3, 4 (the closure still stops at depth 3)."""
    from theory.symbolic import _lie_close

    seam = _lie_close.jet_order
    out = []
    try:
        for extra in (0, 1, 2):
            _lie_close.jet_order = lambda order, extra=extra: order + extra
            t0 = time.perf_counter()
            c = count_laws(flow, max_depth=5)
            out.append({"model": name, "order": 2 + extra, "seconds": time.perf_counter() - t0, "count": c.count})
            print(f"  {name}: jet order {2 + extra} {out[-1]['seconds']:.2f} s", file=sys.stderr)
    finally:
        _lie_close.jet_order = seam
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
    deep = [depth_row("goursat rational", goursat(), 1), depth_row("head N=2 dim=2 d1=2", _head(2, 2, 2), 6)]
    if not args.quick:
        deep.append(depth_row("head N=2 dim=3 d1=2", _head(2, 3, 2), 6))
    orders = jet_orders(
        _head(2, 2, 2) if args.quick else _head(2, 3, 2), "head d1=2 " + ("dim=2" if args.quick else "dim=3")
    )
    if args.json:
        print(json.dumps({"rows": rows, "depth": deep, "jet_orders": orders}, indent=2))
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
    print()
    print(
        f"{'model (count_laws)':24} {'D':>4} {'count@3':>7} {'closed@3':>8} {f'count@{MAX_DEPTH}':>7} {'depth':>5}"
        f" {'expected':>8} {'s @3':>6} {f's @{MAX_DEPTH}':>6} {'ratio':>6}"
    )
    for r in deep:
        print(
            f"{r['model']:24} {r['parameters']:>4} {r['count_depth3']:>7} {r['closed_depth3']!s:>8} "
            f"{r['count_deep']:>7} {r['depth_reached']:>5} {r['expected']:>8} {r['depth3_s']:>6.2f} "
            f"{r['deep_s']:>6.2f} {r['ratio']:>6.2f}"
        )
    print(f"max_depth {MAX_DEPTH} vs 3: the same count where depth 3 closed; time ratio in the last column")
    print()
    base = orders[0]["seconds"]
    for r in orders:
        print(
            f"{r['model']}: jets of order {r['order']} (depth {r['order'] + 1}): {r['seconds']:.2f} s"
            f" ({r['seconds'] / base:.2f} x order 2), count {r['count']}"
        )
    print("(jet orders forced: what a model whose rank still grows at depth 3 would pay per extra depth)")


def _head(n: int, dim: int, d1: int):
    return derive_flow(blocks.attention(n, dim, d1))


if __name__ == "__main__":
    main()
