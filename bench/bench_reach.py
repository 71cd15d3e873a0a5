"""Benchmark: exact reach of banded masks, interval arithmetic vs sparse products vs networkx.

Run: ``python bench/bench_reach.py [--quick]``

Side by side in the same run (``--quick``: one timing each instead of the best of three):

* n = 131072, 32 layers of ``window:4096`` (the Mistral-7B setting) by interval arithmetic,
  and 4 layers of ``dilated:window=512,d=2`` by residue classes;
* at n = 4096 (8 layers of ``window:64``): interval vs sparse boolean products (same counts) --
  an internal cross-check, not a baseline a user would pick for banded masks;
* at n = 256 (4 layers of ``window:8``): interval vs the networkx layered-graph search -- the
  baseline: reachability in the layered graph with a well-kept graph library.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from theory.architecture.mask_spec import parse_mask
from theory.architecture.reach import (
    reach_intervals,
    reach_networkx,
    reach_residues,
    reach_sparse,
    stack,
)

REPEAT = 3


def best_of(fn, repeat: int | None = None) -> tuple[object, float]:
    best, out = float("inf"), None
    for _ in range(min(repeat or REPEAT, REPEAT)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="time each route once instead of the best of three")
    args = ap.parse_args()
    if args.quick:
        global REPEAT
        REPEAT = 1
    big = stack(parse_mask("window:4096"), 32)
    rch, t_big = best_of(lambda: reach_intervals(big, 131072))
    last = int(rch.counts()[-1])
    print(
        f"n=131072, 32 x window:4096, interval: {1e3 * t_big:.1f} ms; last position reaches "
        f"{last} tokens (closed form 32*4095+1 = {32 * 4095 + 1})"
    )
    dil = stack(parse_mask("dilated:window=512,d=2"), 4)
    (cnt, first, _), t_dil = best_of(lambda: reach_residues(dil, 131072))
    print(
        f"n=131072, 4 x dilated:window=512,d=2, residue classes: {1e3 * t_dil:.1f} ms; "
        f"last position reaches {int(cnt[-1])} tokens over a span of {131071 - int(first[-1]) + 1} "
        f"(closed form 4*2*511+1 = {4 * 2 * 511 + 1})"
    )

    mid = stack(parse_mask("window:64"), 8)
    iv, t_iv = best_of(lambda: reach_intervals(mid, 4096).counts())
    sp_, t_sp = best_of(lambda: np.asarray(reach_sparse(mid, 4096).sum(axis=1)).ravel(), repeat=1)
    assert np.array_equal(iv, sp_)
    print(
        f"n=4096, 8 x window:64: interval {1e3 * t_iv:.2f} ms, sparse products {1e3 * t_sp:.1f} ms "
        f"-> {t_sp / t_iv:.0f}x (internal cross-check); counts identical"
    )

    small = stack(parse_mask("window:8"), 4)
    iv2, t_iv2 = best_of(lambda: reach_intervals(small, 256).to_dense())
    nx_, t_nx = best_of(lambda: reach_networkx(small, 256), repeat=1)
    assert np.array_equal(iv2, nx_)
    print(
        f"n=256, 4 x window:8: interval {1e3 * t_iv2:.2f} ms, networkx {1e3 * t_nx:.0f} ms "
        f"-> {t_nx / t_iv2:.0f}x (baseline: networkx); reach sets identical"
    )


if __name__ == "__main__":
    main()
