"""Fuzz the CLI: Hypothesis-generated command lines for every sub-command, and generated bad files.

Reduced profile (CI, default): a few dozen command lines, each run in a forked child of this
process (tests/robustness/harness.py: no interpreter start-up per call) under a 4 s time budget
(``THEORY_MAX_SECONDS``: work that cannot finish must stop itself with one line), a 20 s kill
timeout (a hang) and a 3 GiB address-space limit; plus a few real subprocess runs.  Every call
must exit 0, 1 or 2, print no traceback, one line on stderr for exit 2, and strict JSON.
``THEORY_PROFILE=thorough`` tries 300 command lines; ``python3 -m tests.robustness.fuzz``
prints the counts (tried / clean / traceback / hang).
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.argv_strategy import all_argv, subcommands
from tests.robustness.harness import run_cli
from tests.robustness.hostile_files import write_hostile_files
from theory import _io
from theory.cli import build_parser
from theory.errors import InvalidArgument

THOROUGH = os.environ.get("THEORY_PROFILE") == "thorough"
EXAMPLES = 300 if THOROUGH else 40
ENV = {"THEORY_MAX_SECONDS": "4", "THEORY_QUIET": "1"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    write_hostile_files(root)
    yield root
    (root / "readonly").chmod(0o755)


def test_every_subcommand_is_generated() -> None:
    words = {w for w, _ in subcommands(build_parser())}
    assert {("simulate",), ("lu", "sst"), ("attention-flow",), ("reproduce",)} <= words
    assert len(words) >= 16


def test_fuzz_argv(files: Path) -> None:
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not THOROUGH,
        suppress_health_check=list(HealthCheck),
    )
    @given(all_argv(build_parser()))
    def one(argv: list[str]) -> None:
        out = run_cli(argv, timeout=20, memory_gib=3, cwd=files, env=ENV)
        if out.kind != "clean" or out.code not in (0, 1, 2):
            failures.append(f"{out.kind} exit={out.code} {argv}: {out.stderr[-300:]}")

    one()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "argv",
    [
        ["prove", "--model", "joma-exp", "--quantity", "((2**64)**64)**64"],
        ["simulate", "joma-exp", "--seed", "-1", "--json"],
        ["attention-flow", "corrupt.npz", "--json"],
    ],
)
def test_subprocess_runs(argv: list[str], files: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, **ENV, "PYTHONPATH": str(repo)}
    proc = subprocess.run(
        [sys.executable, "-m", "theory", *argv], cwd=files, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""


def _npy(shape: tuple[int, ...], dtype: str, data: bytes) -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


@settings(max_examples=60 if not THOROUGH else 500, deadline=None, database=None)
@given(st.binary(max_size=3000))
def test_fuzz_npz_bytes(data: bytes) -> None:
    """Arbitrary bytes as an .npz: a dict of arrays or a one-line InvalidArgument, nothing else."""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"theory-fuzz-{os.getpid()}.npz"
    path.write_bytes(data)
    try:
        _io.load_npz(path)
    except InvalidArgument as exc:
        assert "\n" not in str(exc)
    finally:
        path.unlink()


@settings(max_examples=60 if not THOROUGH else 500, deadline=None, database=None)
@given(
    st.lists(st.integers(0, 10**7), min_size=0, max_size=4).map(tuple),
    st.sampled_from(["<f8", "<f4", "<i8", "|u1", "|O", "<U3", "<c16"]),
    st.integers(0, 64),
)
def test_fuzz_npz_headers(shape: tuple[int, ...], dtype: str, stored: int) -> None:
    """Generated .npy headers whose claimed size may disagree with what is stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("attn.npy", _npy(shape, dtype, bytes(stored)))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"theory-fuzz-h-{os.getpid()}.npz"
    path.write_bytes(buf.getvalue())
    try:
        arrays = _io.load_npz(path)
    except InvalidArgument as exc:
        assert "\n" not in str(exc)
    else:  # accepted only when the header told the truth about a small numeric array
        assert arrays["attn"].shape == shape and arrays["attn"].nbytes == stored
    finally:
        path.unlink()


def test_control_lying_header_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("attn.npy", _npy((10**6, 10**6), "<f8", b""))
    (tmp_path / "x.npz").write_bytes(buf.getvalue())
    with pytest.raises(InvalidArgument, match="claims shape"):
        _io.load_npz(tmp_path / "x.npz")
    import numpy as np  # control: an honest file loads

    np.savez(tmp_path / "ok.npz", attn=np.eye(3))
    assert _io.load_npz(tmp_path / "ok.npz")["attn"].shape == (3, 3)


def test_json_output_never_holds_nan(files: Path) -> None:
    out = run_cli(
        ["scaling", "--params", "1e8", "--tokens", "1e9", "--unique-tokens", "1e-300", "--json"],
        timeout=60,
        cwd=files,
        env=ENV,
    )
    assert out.kind == "clean" and out.code == 0, out.stderr
    assert (
        '"status": "non-finite"' in out.stdout and '"value": "Infinity"' in out.stdout
    )  # a status, not a bare constant
    json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
