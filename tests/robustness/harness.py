"""Run ``theory.cli.main`` on one argv in a forked child with a time and memory limit.

Why a fork and not a subprocess: a fresh interpreter pays the import of SymPy/NumPy/SciPy
(about a second) per call; a fork of the already-imported test process costs milliseconds, and
the child can still be killed (a hang) and bounded (``RLIMIT_AS``) without touching the parent.
The child writes stdout/stderr to temporary files; the parent classifies the outcome.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

#: Outcome classes, in the order the report prints them.
KINDS = ("clean", "traceback", "hang", "bad-exit", "nan-json", "multi-line", "memory")


@dataclass(frozen=True)
class Outcome:
    """What one call did: exit code, captured streams, wall time and its class."""

    argv: tuple[str, ...]
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    kind: str


def _classify(argv: tuple[str, ...], code: int | None, out: str, err: str) -> str:
    if code is None:
        return "hang"
    if "Traceback (most recent call last)" in err or code in (3, 70) or "internal error" in err:
        return "memory" if "MemoryError" in err else "traceback"  # exit 3: the CLI's one-line report of a bug
    if code not in (0, 1, 2):
        return "bad-exit"
    if code == 2 and "--help" not in argv and len([ln for ln in err.splitlines() if ln.strip()]) != 1:
        return "multi-line"
    if "--json" in argv and code in (0, 1) and out.strip():
        try:
            json.loads(out, parse_constant=_refuse_constant)
        except ValueError:
            return "nan-json"
    return "clean"


def _refuse_constant(name: str) -> float:
    raise ValueError(f"non-finite JSON constant {name}")


def run_cli(
    argv: list[str] | tuple[str, ...],
    *,
    timeout: float = 20.0,
    memory_gib: float = 3.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``theory.cli.main(argv)`` in a forked child and classify what it did."""
    from theory.cli import main  # imported in the parent: the child inherits it

    argv = tuple(argv)
    with tempfile.TemporaryDirectory(prefix="theory-fuzz-") as tmp:
        out_path, err_path = Path(tmp, "out"), Path(tmp, "err")
        sys.stdout.flush()
        sys.stderr.flush()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child
            code = 70
            try:
                out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o600)
                err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT, 0o600)
                os.dup2(out_fd, 1)
                os.dup2(err_fd, 2)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                limit = int(memory_gib * 2**30)
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                os.setpgid(0, 0)
                if cwd is not None:
                    os.chdir(cwd)
                for key, value in (env or {}).items():
                    os.environ[key] = value
                code = int(main(list(argv)))
            except SystemExit as exc:
                code = int(exc.code) if isinstance(exc.code, int) else 2
            except BaseException:
                traceback.print_exc()
                code = 70
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        deadline = start + timeout
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.kill(pid, signal.SIGKILL) if _alive(pid) else None
            os.waitpid(pid, 0)
            status = None
        seconds = time.monotonic() - start
        code: int | None
        if status is None:
            code = None
        elif os.WIFSIGNALED(status):
            code = 128 + os.WTERMSIG(status)
        else:
            code = os.WEXITSTATUS(status)
        out = out_path.read_text(errors="replace") if out_path.exists() else ""
        err = err_path.read_text(errors="replace") if err_path.exists() else ""
    return Outcome(argv, code, out, err, seconds, _classify(argv, code, out, err))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
