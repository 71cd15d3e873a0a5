"""Benchmark: exact HBLT co-occurrence tables vs their baselines, and the toy model's cost.

Run: ``python bench/bench_hierarchy.py [--quick] [--json] [--repeats 3]``

Measured side by side in the same run, on balanced trees (symmetric channel, rho 0.8):

1. exact table vs the baseline: a Monte Carlo estimate of the same table from 20 000 samples
   of the generator (which only reaches a standard error of about 0.005).  Why a user would
   pick it: without the closed form, sampling the generator and counting is what one does;
2. internal cross-check, not a baseline a user would pick: exact all-pairs table, vectorised
   paths (:func:`theory.hierarchy.cooccurrence.pair_table`) vs a per-pair loop (networkx
   lowest common ancestor + a 2x2 matrix power for each ordered pair), timed on ``--pairs``
   random pairs and extrapolated to all ordered pairs; the largest difference is printed;
3. one toy-model run (default :class:`theory.hierarchy.toy.ToyConfig`), seconds.

``--quick``: one repeat and 100 per-pair samples.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import networkx as nx
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from theory.hierarchy.cooccurrence import conditional_on, pair_table
from theory.hierarchy.sampling import cooccurrence_estimate, sample
from theory.hierarchy.toy import train_toy
from theory.hierarchy.tree import build_tree, channel_matrix

SIZES = [(3, 2), (3, 5), (4, 4), (3, 10)]


def per_pair_baseline(tree, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The obvious implementation: one LCA query and two matrix powers per ordered pair."""
    T = channel_matrix(tree.channel, tree.rho)
    q = conditional_on(tree)
    index = tree.index()
    prior = np.full(tree.classes, 1.0 / tree.classes)
    out = np.empty(len(pairs))
    for k, (m, l) in enumerate(pairs):
        leaf_m, leaf_l = tree.leaves[m], tree.leaves[l]
        p_m = float(q[index[leaf_m]] @ prior)
        lca = nx.lowest_common_ancestor(tree.graph, leaf_m, leaf_l)
        if lca == tree.root:
            joint = float((q[index[leaf_l]] * q[index[leaf_m]]) @ prior)
        else:
            p_a = float(q[index[lca]] @ prior)
            tl = np.linalg.matrix_power(T, tree.depth[leaf_l] - tree.depth[lca])
            tm = np.linalg.matrix_power(T, tree.depth[leaf_m] - tree.depth[lca])
            joint = p_a * tl[1, 1] * tm[1, 1] + (1 - p_a) * tl[0, 1] * tm[0, 1]
        out[k] = joint / p_m
    return out


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, 100 per-pair samples")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, best kept (default 3)")
    parser.add_argument("--pairs", type=int, default=500, help="per-pair loop: pairs timed per tree (default 500)")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.pairs = 1, 100
    rows = []
    for depth, branching in SIZES:
        tree = build_tree(depth, branching, rho=0.8)
        t_exact, table = best_of(lambda tree=tree: pair_table(tree), args.repeats)
        L = len(tree.leaves)
        rng = np.random.default_rng(0)
        all_pairs = L * (L - 1)
        pairs = [(int(m), int(l)) for m, l in rng.integers(0, L, size=(3 * args.pairs, 2)) if m != l]
        pairs = pairs[: args.pairs]
        t_sub, base = best_of(lambda tree=tree, pairs=pairs: per_pair_baseline(tree, pairs), 1)
        t_base = t_sub / len(pairs) * all_pairs  # extrapolated to every ordered pair
        mine = np.array([table.cond[m, l] for m, l in pairs])
        t_mc, _ = best_of(lambda tree=tree: cooccurrence_estimate(sample(tree, 20_000, seed=0).tokens), args.repeats)
        rows.append(
            {
                "depth": depth,
                "branching": branching,
                "tokens": len(tree.leaves),
                "exact_s": t_exact,
                "per_pair_baseline_s": t_base,
                "speedup_vs_baseline": t_base / t_exact,
                "baseline_pairs_timed": len(pairs),
                "max_abs_diff_vs_baseline": float(np.abs(mine - base).max()),
                "monte_carlo_20k_s": t_mc,
                "monte_carlo_over_exact": t_mc / t_exact,
            }
        )
    t_toy, _ = best_of(lambda: train_toy(build_tree(3, 5, rho=0.8), seed=0), 1)
    result = {"tables": rows, "toy_run_depth3_branching5_s": t_toy}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("tokens  exact[s]  per-pair[s]* speed-up  max|diff|  MC 20k[s]  MC/exact (baseline)")
    for r in rows:
        print(
            f"{r['tokens']:>6}  {r['exact_s']:8.4f}  {r['per_pair_baseline_s']:11.4f}  "
            f"{r['speedup_vs_baseline']:8.1f}  {r['max_abs_diff_vs_baseline']:9.1e}  "
            f"{r['monte_carlo_20k_s']:9.4f}  {r['monte_carlo_over_exact']:8.1f}"
        )
    print("* per-pair loop (internal cross-check) timed on --pairs random pairs, extrapolated to all L(L-1) pairs")
    print(f"toy model, depth 3 branching 5 (125 tokens), one run: {t_toy:.2f} s")


if __name__ == "__main__":
    main()
