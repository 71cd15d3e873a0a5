"""Fuzz the CLI with Hypothesis-generated command lines and count the outcomes.

``python3 -m tests.robustness.fuzz --examples 200 --timeout 10`` prints the counts
(tried / clean / traceback / hang / ...) and every non-clean command line; the test
``test_fuzz_cli.py`` runs a reduced profile of the same loop and asserts it is all clean.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.robustness.argv_strategy import all_argv
from tests.robustness.harness import KINDS, Outcome, run_cli
from tests.robustness.hostile_files import write_hostile_files


def fuzz(examples: int, *, timeout: float, memory_gib: float = 3.0, env: dict[str, str] | None = None) -> list[Outcome]:
    """Run ``examples`` generated command lines, each in a fresh working directory of hostile files."""
    from theory.cli import build_parser

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="theory-fuzz-files-") as tmp:
        files_root = Path(tmp, "files")
        write_hostile_files(files_root)

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(all_argv(build_parser()))
        def one(argv: list[str]) -> None:
            outcomes.append(
                run_cli(
                    argv,
                    timeout=timeout,
                    memory_gib=memory_gib,
                    cwd=files_root,
                    env={"THEORY_FUZZ": "1", **(env or {})},
                )
            )

        one()
        Path(files_root, "readonly").chmod(0o755)
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts by outcome class, plus ``tried``."""
    counts = collections.Counter(o.kind for o in outcomes)
    return {"tried": len(outcomes), **{k: counts.get(k, 0) for k in KINDS}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="fuzz the theory CLI and print outcome counts")
    p.add_argument("--examples", type=int, default=200, help="command lines to try (default: 200)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call before it counts as a hang")
    p.add_argument("--save", help="write the counts and failures as JSON here")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment for the calls, e.g. THEORY_MAX_SECONDS=8 (repeatable)",
    )
    args = p.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    outcomes = fuzz(args.examples, timeout=args.timeout, env=env)
    counts = summary(outcomes)
    print(json.dumps(counts))
    bad = [o for o in outcomes if o.kind != "clean"]
    for o in bad:
        tail = (o.stderr.strip().splitlines() or [""])[-1][:200]
        print(f"{o.kind:10s} {o.seconds:6.1f}s {' '.join(o.argv)[:200]!r} -> {tail}")
    if args.save:
        Path(args.save).write_text(
            json.dumps(
                {
                    "counts": counts,
                    "failures": [
                        {
                            "kind": o.kind,
                            "argv": o.argv,
                            "code": o.code,
                            "stderr": o.stderr[-2000:],
                            "seconds": o.seconds,
                        }
                        for o in bad
                    ],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
