"""Start-up cost of the CLI: CPU seconds of `theory --help` and `theory list` (issue 13 item 4).

Each command runs as ``python3 -m theory ...`` in a fresh interpreter; its CPU time (user +
system, from ``resource.getrusage(RUSAGE_CHILDREN)``) is the median of N runs.  The baseline
``python3 -c pass`` is measured in the same run, so the ratio says how much the package adds to
a bare interpreter.  Goal: each command under 0.5 s of CPU.

    python3 bench/bench_startup.py            # 5 runs each
    python3 bench/bench_startup.py --quick    # 2 runs each
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 0.5

COMMANDS: dict[str, list[str]] = {
    "python3 -c pass": ["-c", "pass"],
    "theory --help": ["-m", "theory", "--help"],
    "theory list": ["-m", "theory", "list"],
}


def cpu_seconds(args: list[str]) -> float:
    """CPU time (user + system) of one ``python3 ARGS`` child run from the repository root."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 runs per command instead of --runs")
    parser.add_argument("--runs", type=int, default=5, help="runs per command; the median is reported (default: 5)")
    args = parser.parse_args(argv)
    runs = 2 if args.quick else args.runs
    medians = {name: statistics.median(cpu_seconds(a) for _ in range(runs)) for name, a in COMMANDS.items()}
    base = medians["python3 -c pass"]
    print(f"CPU seconds, median of {runs} runs (goal: under {GOAL_S} s per command)")
    ok = True
    for name, t in medians.items():
        line = f"  {name:<18} {t:6.3f} s   {t / base:5.1f}x python3 -c pass"
        if name != "python3 -c pass":
            met = t < GOAL_S
            ok &= met
            line += f"   {'meets' if met else 'MISSES'} the {GOAL_S} s goal"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
