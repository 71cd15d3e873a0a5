"""Benchmark: the compiled-flow cache -- a repeated ``simulate`` / ``check`` pays no symbolic work.

Run: ``python bench/bench_cache.py [--quick] [--repeat 3] [--json]``.

Baseline (internal, labelled as such): the same command with an empty cache, i.e. deriving
the flows with SymPy and generating their code on every call, which is what every call paid
before the cache.  There is no outside tool to compare with: the point is what a second call
saves.  Each command runs as a fresh process (``python -m theory ...``) with
``THEORY_CACHE_DIR`` set to a new temporary directory: the first run computes and stores, the
later runs read the disk records (compile plans, :mod:`theory.numeric.plan`, and flows).
Printed per command: whole-command wall time cold vs warm (best of ``--repeat``) and the
ratio, whether the warm process imported SymPy at all (it must not), and for ``simulate`` the
compile seconds it reports.  The in-process memory level is timed too (a second look-up in the
same process), and the start-up floor: a process that only imports what a warm ``check``
imports (Python, NumPy, SciPy's integrators, the oracle), i.e. what no cache can remove.
``--quick``: one warm run each, ``check --all`` with one start per invariant.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: runs the CLI like ``python -m theory`` and reports on stderr whether SymPy was imported
_PROBE = (
    "import json, sys\n"
    "from theory.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps({'sympy': 'sympy' in sys.modules}), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _run(args: list[str], cache: str) -> tuple[float, dict, bool]:
    env = {**os.environ, "THEORY_CACHE_DIR": cache, "PYTHONPATH": str(ROOT), "THEORY_QUIET": "1"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PROBE, *args, "--json"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"theory {' '.join(args)} failed: {out.stderr.strip()[-400:]}")
    return wall, json.loads(out.stdout), bool(json.loads(out.stderr.strip().splitlines()[-1])["sympy"])


def _startup_floor(repeat: int) -> float:
    """Best wall time of a process that only imports what a warm ``check`` imports (no work)."""
    code = "import theory.cli, theory.checks.catalogue_run, theory.checks.catalogue_oracle"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def _memory_level() -> dict:
    from theory.numeric import flow_cache
    from theory.numeric.simulate import _compiled

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["THEORY_CACHE_DIR"] = tmp
        flow_cache.clear_memory()
        t0 = time.perf_counter()
        _compiled("softmax", "tanh")
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        _compiled("softmax", "tanh")
        hot = time.perf_counter() - t0
    return {"cold_s": cold, "memory_hit_s": hot, "ratio": cold / max(hot, 1e-9)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="one warm run per command; `check --all` with --starts 1 (default off)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per command, best kept (default 3)")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON (default: text)")
    args = ap.parse_args()
    commands = [["simulate", "joma-softmax"], ["check", "joma-linear"]]
    if args.quick:
        commands += [["check", "--all", "--starts", "1"]]
    else:
        commands += [["simulate", "joma-exp", "--tokens", "1000"], ["check", "joma-exp"], ["check", "--all"]]
    warm_runs = 1 if args.quick else max(1, args.repeat)
    rows = []
    for cmd in commands:
        with tempfile.TemporaryDirectory() as cache:
            cold_wall, cold, cold_sympy = _run(cmd, cache)
            warm = [_run(cmd, cache) for _ in range(warm_runs)]
        best = min(warm, key=lambda w: w[0])
        row = {"command": "theory " + " ".join(cmd), "cold_wall_s": cold_wall, "warm_wall_s": best[0]}
        row["ratio_wall"] = cold_wall / best[0]
        row["cold_imports_sympy"] = cold_sympy
        row["warm_imports_sympy"] = any(w[2] for w in warm)
        if "seconds" in cold and "compile" in cold["seconds"]:
            row["cold_compile_s"] = cold["seconds"]["compile"]
            row["warm_compile_s"] = best[1]["seconds"]["compile"]
            row["ratio_compile"] = row["cold_compile_s"] / max(row["warm_compile_s"], 1e-9)
            row["warm_source"] = best[1].get("compile_cache")
        rows.append(row)
    result = {
        "rows": rows,
        "memory_level": _memory_level(),
        "startup_floor_s": _startup_floor(warm_runs),
        "baseline": "internal: the same command, empty cache",
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("compiled-flow cache: cold (empty cache: derive + generate) vs warm (disk record), fresh processes")
    for r in rows:
        wall = f"{r['cold_wall_s']:.2f} s -> {r['warm_wall_s']:.2f} s ({r['ratio_wall']:.1f}x)"
        line = f"  {r['command']:<40} wall {wall}; warm imports SymPy: {'yes' if r['warm_imports_sympy'] else 'no'}"
        if "ratio_compile" in r:
            line += (
                f"; compile {r['cold_compile_s']:.3f} s -> {r['warm_compile_s']:.4f} s "
                f"({r['ratio_compile']:.0f}x, {r['warm_source']})"
            )
        print(line)
    print(f"  start-up floor (a process importing what a warm check imports): {result['startup_floor_s']:.2f} s")
    m = result["memory_level"]
    print(f"  in-process memory level: {m['cold_s']:.3f} s -> {m['memory_hit_s'] * 1e6:.1f} us ({m['ratio']:.0f}x)")


if __name__ == "__main__":
    main()
