"""Every case of issue 12's "What was seen", as a table: a one-line error (exit 2, naming the
culprit) or a correct result (exit 0/1, strict JSON), never a traceback, a hang or NaN.

Each row runs ``theory.cli.main`` in a forked child (tests/robustness/harness.py) with a
time limit (a hang fails the row) and a 3 GiB address-space limit (a blow-up fails it).
The negative controls at the bottom check that the classifier itself catches a traceback,
a hang, NaN in JSON and a multi-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.robustness.harness import run_cli
from tests.robustness.hostile_files import write_hostile_files

Q = ["prove", "--model", "joma-exp", "--quantity"]
SMALL_LU = [
    "lu",
    "synthetic",
    "--epochs",
    "20",
    "--n-sentences",
    "200",
    "--n-nontopic",
    "200",
    "--ablation-epochs",
    "10",
    "--horizon",
    "5",
]

#: (argv, expected, text the one-line error must contain) - expected "error" means exit 2 and one
#: line on stderr; "result" means exit 0 or 1 and, with --json, strict JSON on stdout.
CASES: list[tuple[list[str], str, str]] = [
    # exhaustion inside the accepted grammar and sizes
    ([*Q, "((((z1+z2)**64)**64)**64)"], "error", "degree"),
    ([*Q, "exp(exp(exp(exp(exp(exp(exp(exp(z1))))))))"], "error", "nests functions"),
    (
        ["prove", "--model", "joma-exp", "--sizes", "M=11", "--quantity", "(z1+z2+z3+z4+z5+z6+z7+z8+z9+z10+z11)**64"],
        "error",
        "terms",
    ),
    (["prove", "--model", "joma-exp", "--sizes", "M=64,K=16,N=16", "--quantity", "z1"], "error", "--max-"),
    (["discover", "joma-exp", "--sizes", "M=64,K=16,N=16"], "error", "--max-"),
    (
        ["simulate", "joma-softmax", "--tokens", "100000", "--hidden", "256", "--samples", "100000"],
        "error",
        "--max-memory",
    ),
    (["lu", "sst", "--data", "sst2", "--pad-to", "100000000"], "error", "--max-"),
    (["lu", "sst", "--data", "sst2", "--d", "100000000"], "error", "--max-"),
    (["compare-arch", "layers=2,heads=2,d_head=8", "--context", "1e15"], "error", "context must lie in"),
    (
        ["attention-flow", "--synthetic", "full", "--n", "4096", "--layers", "1000", "--heads", "1000"],
        "error",
        "--max-",
    ),
    (["attention-flow", "huge_header.npz"], "error", "huge_header.npz"),
    (["attention-flow", "zip_bomb.npz"], "error", "zip_bomb.npz"),
    (["receptive-field", "--layers", "100000"], "result", ""),
    (["attention-flow", "big_valid.npz", "--method", "flow"], "error", "--max-seconds"),
    (["hierarchy", "--toy-runs", str(10**23)], "error", "--toy-runs"),
    (["attention-flow", "--synthetic", "chunked:2", "--n", "4096", "--method", "flow"], "error", "--max-"),
    # tracebacks seen: negative seeds
    (["simulate", "joma-exp", "--seed", "-1"], "error", "seed"),
    (["attention-flow", "--synthetic", "causal", "--n", "8", "--seed", "-1"], "error", "seed"),
    (["hierarchy", "--seed", "-1"], "error", "seed"),
    (["lu", "sst", "--data", "sst2", "--seed", "-1"], "error", "seed"),
    (["check", "joma-exp", "--seed", "-1"], "error", "seed"),
    # unwritable or too-long output paths, in every writer
    (["simulate", "joma-exp", "--out", "/proc/theory-run.npz"], "error", "not writable"),
    (["simulate", "joma-exp", "--out", "x" * 300 + ".npz"], "error", "characters long"),
    (["simulate", "joma-exp", "--out", "a_directory.npz"], "error", "directory"),
    (["simulate", "joma-exp", "--out", "missing/run.npz"], "error", "does not exist"),
    (["simulate", "joma-exp", "--out", "empty.npz/run.npz"], "error", "empty.npz"),
    (["figure", "joma-invariant", "--quick", "--out", "/proc/theory-figs"], "error", "not writable"),
    (["figure", "joma-invariant", "--quick", "--out", "x" * 300], "error", "characters long"),
    (["prove", "joma-linear", "--latex", "/proc/theory-tex"], "error", "not writable"),
    (["hierarchy", "--plot", "/proc/theory-h"], "error", "not writable"),
    ([*SMALL_LU, "--plot", "/proc/theory-lu"], "error", "not writable"),
    (["reproduce", "--only", "receptive-field", "--out", "/proc/theory-res"], "error", "not writable"),
    (["reproduce", "--only", "receptive-field", "--out", "x" * 300], "error", "characters long"),
    (["attention-flow", "--synthetic", "causal", "--n", "8", "--save", "/proc/theory-m.npz"], "error", "not writable"),
    # corrupt, empty, renamed .npz
    (["attention-flow", "empty.npz"], "error", "empty.npz"),
    (["attention-flow", "corrupt.npz"], "error", "corrupt.npz"),
    (["attention-flow", "renamed.npz"], "error", "renamed.npz"),
    (["attention-flow", "strings.npz"], "error", "strings.npz"),
    (["attention-flow", "rank2.npz"], "error", "rank2.npz"),
    (["attention-flow", "a_directory.npz"], "error", "a_directory.npz"),
    (["attention-flow", "missing.npz"], "error", "missing.npz"),
    # huge numbers in specs
    (["receptive-field", "--layers", "2", "--mask", "window:1e308"], "error", "window"),
    (["compare-arch", "layers=2,heads=2,d_head=8,ffn=inf"], "error", "ffn"),
    (["compare-arch", "layers=2,heads=2,d_head=8,mask=window:1e308"], "error", "window"),
    ([*SMALL_LU, "--horizon", "inf"], "error", "--horizon"),
    (["lu", "sst", "--data", "sst2", "--pad-to", "1e20"], "error", "--pad-to"),
    # quantities
    ([*Q, "sqrt(-1)*z1"], "error", "sqrt(-1)"),
    ([*Q, "erfinv(2)*z1"], "error", "erfinv(2)"),
    ([*Q, "((2**64)**64)**64"], "error", "digits"),
    (["simulate", "joma-exp", "--eta-z", "1e300", "--json"], "result", ""),
    # a small valid lu synthetic run (a None was formatted in lu/report.py)
    ([*SMALL_LU, "--json"], "result", ""),
    ([*SMALL_LU], "result", ""),
    # SST files with one or two lines; one class; same words
    (["lu", "sst", "--data", "sst1", "--json"], "error", "class"),
    (["lu", "sst", "--data", "sst2", "--json"], "result", ""),
    (["lu", "sst", "--data", "sst_oneclass", "--json"], "error", "class"),
    (["lu", "sst", "--data", "sst_same", "--epochs", "5", "--json"], "result", ""),
    # silent wrong answers: NaN / Infinity in JSON
    (["simulate", "joma-exp", "--temperature", "5e-324", "--json"], "result", ""),
    (["scaling", "--params", "1e8", "--tokens", "1e9", "--unique-tokens", "1e-300", "--json"], "result", ""),
    (["lu", "sst", "--data", "sst_same", "--lr", "1e-12", "--epochs", "5", "--json"], "result", ""),
    (["attention-flow", "nan_maps.npz"], "error", "nan_maps.npz"),
    (["simulate", "joma-exp", "--t-end", "inf"], "error", "--t-end"),
    # found by the fuzzer after the first fixes
    (["scaling", "--budget", "5e-324", "--json"], "error", "budget"),
    (["scaling", "--params", "1e9", "--tokens", "1e10", "--max-seconds", "1e308", "--json"], "result", ""),
    (["lu", "synthetic", "--lrs", "nan,inf"], "error", "--lrs"),
    (["discover", "joma-exp", "--latex", "x" * 300], "error", "characters long"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_files(root)
    yield root
    (root / "readonly").chmod(0o755)


@pytest.mark.parametrize(("argv", "expected", "culprit"), CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_hostile_case(argv: list[str], expected: str, culprit: str, files: Path) -> None:
    # a 30 s time budget: work that cannot be estimated beforehand must stop itself with one line
    out = run_cli(argv, timeout=90, memory_gib=3, cwd=files, env={"THEORY_QUIET": "1", "THEORY_MAX_SECONDS": "30"})
    assert out.kind == "clean", f"{out.kind} after {out.seconds:.1f}s (exit {out.code}): {out.stderr[-1500:]}"
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    if expected == "error":
        assert out.code == 2, f"exit {out.code}; stderr: {out.stderr[-800:]}"
        assert len(lines) == 1, out.stderr
        assert culprit in lines[0], lines[0]
    else:
        assert out.code in (0, 1), f"exit {out.code}: {out.stderr[-800:]}"
        if "--json" in argv:
            json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"non-finite JSON constant {c}"))


# ---- negative controls: the classifier must flag each kind of failure ----


def test_control_traceback_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import theory.cli

    def boom(argv: object = None) -> int:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(theory.cli, "main", boom)
    assert run_cli(["list"], timeout=20).kind == "traceback"


def test_control_hang_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import theory.cli

    monkeypatch.setattr(theory.cli, "main", lambda argv=None: time.sleep(30) or 0)
    assert run_cli(["list"], timeout=1).kind == "hang"


def test_control_nan_json_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import theory.cli

    monkeypatch.setattr(theory.cli, "main", lambda argv=None: sys.stdout.write('{"a": NaN}\n') and 0)
    assert run_cli(["list", "--json"], timeout=20).kind == "nan-json"


def test_control_multiline_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import theory.cli

    monkeypatch.setattr(theory.cli, "main", lambda argv=None: sys.stderr.write("a\nb\n") and 2)
    assert run_cli(["list"], timeout=20).kind == "multi-line"
