"""Benchmark: attention flow, fast certified method vs the per-pair networkx reference.

Run: ``python bench/bench_attention_flow.py [--quick] [--ref-pairs 48] [--full] [--skip-128]``
(``--quick``: 8 reference pairs, no n = 128 run)

Side by side in the same run, on the same synthetic attention (random rows within a full
mask, 6 layers, residual 0.5 as in Abnar & Zuidema 2020):

* baseline (reference) - networkx Edmonds-Karp on the whole layered graph, one call per pair
  (the reference algorithm as the paper's code runs it); timed on ``--ref-pairs`` random
  pairs (``--full``: all n^2 pairs, about 7 minutes at n = 32);
* networkx preflow-push on the pruned per-pair graph (exact float);
* fast - scipy Dinic on 2^30-scaled integer capacities + the true capacity of its min cut,
  all n^2 pairs, timed end to end (graph construction included).

The two networkx baselines are timed per pair on a prebuilt graph (construction excluded),
which favours them.

Prints per-pair times, the speed-up ratios, the largest value difference on the shared
pairs, and the certified gap; then the n = 128 run of the fast method (all pairs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from theory.architecture.attention import synthetic_attention
from theory.architecture.attention_flow import _PairSolver, attention_flow
from theory.architecture.mask_spec import parse_mask
from theory.architecture.rollout import residual_mix


def timed_pairs(attn: np.ndarray, pairs: list[tuple[int, int]], method: str) -> tuple[np.ndarray, float]:
    """Per-pair solves on one prebuilt graph (graph construction excluded: favours the baseline)."""
    solver = _PairSolver(residual_mix(attn))
    solve = solver.reference if method == "reference" else solver.exact
    if method == "reference":
        solver.reference(0, 0)  # build the networkx graph outside the timed loop
    vals = np.empty(len(pairs))
    t0 = time.perf_counter()
    for k, (i, j) in enumerate(pairs):
        vals[k] = solve(i, j)
    return vals, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--ref-pairs", type=int, default=48)
    ap.add_argument("--full", action="store_true", help="reference on all n^2 pairs")
    ap.add_argument("--skip-128", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="8 reference pairs, no n = 128 run")
    args = ap.parse_args()
    if args.quick:
        args.ref_pairs, args.skip_128 = 8, True

    n, L = args.n, args.layers
    attn = synthetic_attention(parse_mask("full"), n, L, kind="random", heads=4, seed=args.seed).attn
    all_pairs = [(i, j) for i in range(n) for j in range(n)]
    rng = np.random.default_rng(args.seed)
    if args.full:
        ref_pairs = all_pairs
    else:
        idx = rng.choice(len(all_pairs), size=min(args.ref_pairs, len(all_pairs)), replace=False)
        ref_pairs = [all_pairs[k] for k in sorted(idx)]

    t0 = time.perf_counter()
    fast = attention_flow(attn, method="fast")
    t_fast = time.perf_counter() - t0
    per_fast = t_fast / len(all_pairs)

    ref_vals, t_ref = timed_pairs(attn, ref_pairs, "reference")
    per_ref = t_ref / len(ref_pairs)
    nx_vals, t_nx = timed_pairs(attn, ref_pairs, "networkx")
    per_nx = t_nx / len(ref_pairs)
    fast_on_ref = np.array([fast.values[i, j] for i, j in ref_pairs])
    diff_ref = float(np.max(np.abs(fast_on_ref - ref_vals)))
    diff_nx = float(np.max(np.abs(nx_vals - ref_vals)))

    out = {
        "n": n,
        "layers": L,
        "pairs_fast": len(all_pairs),
        "pairs_reference": len(ref_pairs),
        "fast_total_s": t_fast,
        "fast_per_pair_ms": 1e3 * per_fast,
        "reference_per_pair_ms": 1e3 * per_ref,
        "preflow_pruned_per_pair_ms": 1e3 * per_nx,
        "reference_all_pairs_estimate_s": per_ref * len(all_pairs),
        "speedup_fast_vs_reference": per_ref / per_fast,
        "speedup_preflow_vs_reference": per_ref / per_nx,
        "max_abs_diff_fast_vs_reference": diff_ref,
        "max_abs_diff_preflow_vs_reference": diff_nx,
        "max_certified_gap": fast.max_gap,
        "exact_fallbacks": fast.fallbacks,
    }
    if not args.skip_128:
        big = synthetic_attention(parse_mask("full"), 128, L, kind="random", heads=4, seed=1).attn
        t0 = time.perf_counter()
        res = attention_flow(big, method="fast", workers=args.workers)
        out["n128_total_s"] = time.perf_counter() - t0
        out["n128_workers"] = args.workers
        out["n128_max_certified_gap"] = res.max_gap
        out["n128_exact_fallbacks"] = res.fallbacks
        # spot-check a few n=128 pairs against the exact pruned preflow-push
        spots = [(0, 0), (127, 64), (64, 3)]
        ex = [attention_flow(big, outputs=[i], inputs=[j], method="networkx").values[0, 0] for i, j in spots]
        out["n128_spot_max_abs_diff"] = float(
            max(abs(res.values[i, j] - e) for (i, j), e in zip(spots, ex, strict=True))
        )
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"attention flow, n={n}, {L} layers, random attention (4 heads averaged), residual 0.5")
    print(
        f"  fast (scipy Dinic + certified cut): {len(all_pairs)} pairs in {t_fast:.2f} s = {1e3 * per_fast:.2f} ms/pair"
    )
    print(
        f"  reference (networkx Edmonds-Karp, whole graph): {len(ref_pairs)} pairs, "
        f"{1e3 * per_ref:.1f} ms/pair (all pairs ~ {per_ref * len(all_pairs):.0f} s)"
    )
    print(f"  networkx preflow-push, pruned: {1e3 * per_nx:.1f} ms/pair")
    print(
        f"  speed-up fast vs reference: {per_ref / per_fast:.0f}x   "
        f"(preflow-push pruned vs reference: {per_ref / per_nx:.1f}x)"
    )
    print(
        f"  max |fast - reference| on shared pairs: {diff_ref:.2e}   "
        f"(preflow vs reference {diff_nx:.2e}); certified gap <= {fast.max_gap:.1e}, "
        f"{fast.fallbacks} exact fallbacks"
    )
    if "n128_total_s" in out:
        print(
            f"  n=128, {L} layers, all {128 * 128} pairs, {args.workers} workers: "
            f"{out['n128_total_s']:.1f} s; certified gap <= {out['n128_max_certified_gap']:.1e}; "
            f"spot check vs preflow-push {out['n128_spot_max_abs_diff']:.1e}"
        )


if __name__ == "__main__":
    main()
