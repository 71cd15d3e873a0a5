"""Benchmark: the hand-written index-form printer against the library route, at M = 10 .. 10^4.

Run: ``python bench/bench_printer_routes.py [--quick] [--json]``.

Both compile the same index-form JoMA flow (``theory.symbolic.indexed.joma_indexed``: softmax
attention, tanh hidden nodes, squared loss; K = 8 hidden nodes, N = 16 samples) and are timed
side by side in interleaved rounds of this run:

* **printer** - ``theory.numeric.indexed_flow.compile_indexed``: the toolkit's printer, which
  plans each contraction at print time and emits straight-line NumPy (``@``, broadcasting,
  ``np.add.reduce``);
* **library** - ``bench/library_route.py``: shared sub-expressions + one cached
  ``opt_einsum.contract_expression`` per sum (path optimised once per shape), the route a user
  would assemble from well-kept libraries;
* **hand** - the hand-written back-propagation of ``bench_compile.py`` (the physical reference).

Printed: microseconds per right-hand side and the ratios library / printer (> 1: the printer
is faster) and printer / hand, each the median of the per-round ratios with their range.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compile import hand_rhs
from library_route import LibraryRoute

from theory.numeric.indexed_flow import compile_indexed
from theory.symbolic.indexed import joma_indexed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, M up to 1000")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    index_form = joma_indexed(attention="softmax", activation="tanh")
    printer = compile_indexed(index_form)
    library = LibraryRoute(index_form)
    K, N = 8, 16
    rows = []
    for M in (10, 100, 1000) if args.quick else (10, 100, 1000, 10_000):
        rng = np.random.default_rng(M)
        y = 0.3 * rng.standard_normal(printer.size(M, K))
        x = rng.dirichlet(np.ones(M), size=N)
        tg = rng.standard_normal((K, N))
        a = (y, x, tg, 0.7, 1.0, 1.5)
        ref = hand_rhs(*a)
        for f in (printer.rhs, library.rhs):
            assert np.allclose(f(*a), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max()), "routes disagree"
        number = max(1, int(2e5 / (M * K * N) * (0.2 if args.quick else 1)))
        rounds = []
        for _ in range(3 if args.quick else 11):
            t = [
                timeit.timeit(lambda f=f, a=a: f(*a), number=number) / number
                for f in (printer.rhs, library.rhs, hand_rhs)
            ]
            rounds.append(t)
        lib_vs_printer = sorted(r[1] / r[0] for r in rounds)
        printer_vs_hand = sorted(r[0] / r[2] for r in rounds)
        best = [min(r[i] for r in rounds) * 1e6 for i in range(3)]
        rows.append(
            {
                "M": M,
                "printer_us": best[0],
                "library_us": best[1],
                "hand_us": best[2],
                "library_over_printer": lib_vs_printer[len(rounds) // 2],
                "library_over_printer_range": [lib_vs_printer[0], lib_vs_printer[-1]],
                "printer_over_hand": printer_vs_hand[len(rounds) // 2],
            }
        )
        print(f"M={M} done", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'M':>6} {'printer us':>11} {'library us':>11} {'hand us':>9} {'library/printer':>22} {'printer/hand':>13}")
    for r in rows:
        lo, hi = r["library_over_printer_range"]
        print(
            f"{r['M']:>6} {r['printer_us']:>11.1f} {r['library_us']:>11.1f} {r['hand_us']:>9.1f} "
            f"{r['library_over_printer']:>8.2f} ({lo:.2f}-{hi:.2f}) {r['printer_over_hand']:>13.2f}"
        )
    print("ratios: median of interleaved rounds (range); library/printer > 1 means the printer is faster")


if __name__ == "__main__":
    main()
