"""Benchmark: `theory prove --all` wall time (target < 5 s on 2 cores) and the zero test vs simplify.

Run:  python bench/bench_prove.py [--quick] [--json]

Prints, measured side by side in this run:
1. wall time of the `theory prove --all` command (subprocess, import included), parallel and --jobs 1
   (``--quick``: parallel only);
2. per-entry seconds;
3. for each invariant entry at its largest size (``--quick``: the first three), the time of the
   toolkit's zero test (expand / clear denominators) against the baseline
   ``sympy.simplify(dQ/dt) == 0`` and the ratio.  Why that baseline: ``simplify`` is what a
   SymPy user calls to decide whether an expression vanishes (SymPy's own documentation
   recommends it for that), so it is the well-kept library route.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import sympy as sp

from theory.catalogue import theorems
from theory.symbolic import derive_flow, time_derivative
from theory.symbolic.zero import is_identically_zero

TARGET_SECONDS = 5.0


def wall(cmd: list[str]) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, json.loads(proc.stdout)


def zero_test_vs_simplify(limit: int | None = None) -> list[dict]:
    rows = []
    for e in theorems():
        if e.kind != "invariant" or e.expected != "proved":
            continue
        if limit is not None and len(rows) >= limit:
            break
        sizes = e.sizes[-1]
        spec = e.largest_spec()
        flow = derive_flow(spec)
        q = e.quantity(spec)[0]  # type: ignore[misc]
        d = time_derivative(flow, q)
        t0 = time.perf_counter()
        ours = is_identically_zero(d).zero
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        base = sp.simplify(d) == 0
        t_base = time.perf_counter() - t0
        rows.append(
            {
                "entry": e.name,
                "sizes": sizes,
                "zero_test_s": t_ours,
                "simplify_s": t_base,
                "speedup": t_base / t_ours,
                "agree": ours == base or base is False,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the --jobs 1 run; zero test on three entries")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    as_json = args.json
    par, rows = wall([sys.executable, "-m", "theory", "prove", "--all", "--json"])
    seq = par if args.quick else wall([sys.executable, "-m", "theory", "prove", "--all", "--json", "--jobs", "1"])[0]
    ratios = zero_test_vs_simplify(3 if args.quick else None)
    result = {
        "prove_all_wall_s": par,
        "prove_all_wall_jobs1_s": seq,
        "target_s": TARGET_SECONDS,
        "ratio_to_target": par / TARGET_SECONDS,
        "per_entry_s": {r["name"]: round(r["seconds"], 3) for r in rows},
        "zero_test_vs_simplify": ratios,
    }
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"theory prove --all: {par:.2f} s wall (parallel), {seq:.2f} s with --jobs 1; target {TARGET_SECONDS} s "
        f"-> ratio {par / TARGET_SECONDS:.2f}"
    )
    for name, s in result["per_entry_s"].items():
        print(f"  {name:<28} {s:6.2f} s")
    print("zero test vs sympy.simplify (same dQ/dt):")
    for r in ratios:
        print(
            f"  {r['entry']:<28} ours {r['zero_test_s']:.3f} s  simplify {r['simplify_s']:.3f} s  "
            f"speed-up x{r['speedup']:.1f}"
        )


if __name__ == "__main__":
    main()
