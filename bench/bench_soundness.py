"""Benchmark: the prover on the near-miss corpus and on true quantities in unusual forms.

Run:  python bench/bench_soundness.py [--quick] [--json] [--baseline-timeout SECONDS]

Prints, measured in this run:

1. per-quantity seconds of ``prove`` on every near-miss quantity (tests/symbolic/near_miss.py)
   with its verdict (each must be refuted or unproven), and the slowest;
2. per-quantity seconds on every true form with its verdict (each must be proved), the slowest;
3. for the true forms built from an invariant ``I`` (``exp(I)``, ``I/(1+I^2)``, ...), the
   lemma route against the baseline a user would otherwise have: the plain chain-rule
   derivative ``grad Q . F`` decided by the same zero test, without lemmas (the prover before
   this change), in a subprocess stopped after ``--baseline-timeout`` seconds (default 60;
   ``--quick``: 10).  Ratios are baseline / lemma route; a stopped baseline prints as ">".

Targets (not asserted anywhere): every true form proved in under 5 s; the Lu et al.
``I/(1+I^2)`` (no verdict in 300 s before) in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "symbolic"))

from near_miss import NEAR_MISS, TRUE_FORMS

from theory.commands import prove_user_quantity

TARGET_TRUE_S = 5.0


def _plain(model: str, sizes: str | None, quantity: str, out: multiprocessing.Queue) -> None:
    from theory.models.registry import build_model
    from theory.symbolic import derive_flow, time_derivative
    from theory.symbolic.parse import parse_quantity
    from theory.symbolic.zero import is_identically_zero

    spec = build_model(model, sizes)
    flow = derive_flow(spec)
    t0 = time.perf_counter()
    test = is_identically_zero(time_derivative(flow, parse_quantity(quantity, spec.symbols)))
    out.put((time.perf_counter() - t0, test.method))


def baseline(model: str, sizes: str | None, quantity: str, timeout: float) -> tuple[float | None, str]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.get_context("fork").Process(target=_plain, args=(model, sizes, quantity, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, "stopped"
    seconds, method = queue.get()
    return seconds, method


def timed(cases: list[tuple[str, str, str | None, str]]) -> list[dict]:
    rows = []
    for cid, model, sizes, quantity in cases:
        t0 = time.perf_counter()
        row = prove_user_quantity(model, [quantity], sizes=sizes)
        rows.append({"id": cid, "verdict": row["verdict"], "method": row["method"], "s": time.perf_counter() - t0})
        print(f"  {cid:22} {row['verdict']:9} {row['method']:9} {rows[-1]['s']:.3f} s", file=sys.stderr)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="baseline stopped after 10 s instead of 60 s")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--baseline-timeout", type=float, default=None, help="seconds before a baseline is stopped")
    args = p.parse_args()
    timeout = args.baseline_timeout or (10.0 if args.quick else 60.0)
    print("near-miss corpus:", file=sys.stderr)
    near = timed(NEAR_MISS)
    print("true forms:", file=sys.stderr)
    true = timed(TRUE_FORMS)
    lemma_cases = [c for c in TRUE_FORMS if any(f in c[3] for f in ("exp(", "/(1+", "log(", "tanh("))]
    ratios = []
    for (cid, model, sizes, quantity), row in ((c, next(r for r in true if r["id"] == c[0])) for c in lemma_cases):
        seconds, method = baseline(model, sizes, quantity, timeout)
        ratio = None if seconds is None else seconds / max(row["s"], 1e-6)
        ratios.append(
            {"id": cid, "lemma_s": row["s"], "baseline_s": seconds, "baseline_method": method, "ratio": ratio}
        )
        shown = (
            f">{timeout / max(row['s'], 1e-6):.0f}x (baseline stopped at {timeout:.0f} s)"
            if ratio is None
            else f"{ratio:.1f}x"
        )
        print(f"  baseline {cid:18} {shown}", file=sys.stderr)
    result = {
        "near_miss": {
            "count": len(near),
            "by_verdict": {v: sum(r["verdict"] == v for r in near) for v in ("refuted", "unproven", "proved")},
            "slowest_s": max(r["s"] for r in near),
        },
        "true_forms": {
            "count": len(true),
            "proved": sum(r["verdict"] == "proved" for r in true),
            "slowest_s": max(r["s"] for r in true),
            "slowest": max(true, key=lambda r: r["s"])["id"],
            "target_s": TARGET_TRUE_S,
        },
        "lemma_vs_plain": ratios,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    n, t = result["near_miss"], result["true_forms"]
    print(f"near-miss: {n['count']} quantities, {n['by_verdict']}, slowest {n['slowest_s']:.2f} s")
    print(
        f"true forms: {t['proved']}/{t['count']} proved, slowest {t['slowest']} {t['slowest_s']:.2f} s "
        f"(target {TARGET_TRUE_S} s, ratio {t['slowest_s'] / TARGET_TRUE_S:.3f})"
    )
    for r in ratios:
        b = "stopped" if r["baseline_s"] is None else f"{r['baseline_s']:.2f} s"
        x = f">{timeout / max(r['lemma_s'], 1e-6):.0f}x" if r["ratio"] is None else f"{r['ratio']:.1f}x"
        print(f"  {r['id']:18} lemma route {r['lemma_s']:.3f} s, plain derivative {b}: {x}")


if __name__ == "__main__":
    main()
