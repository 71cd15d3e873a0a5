"""Run a sweep through any :class:`concurrent.futures.Executor`, resumably; report its status.

Role: the driver behind ``theory sweep``.  It reads which job hashes the store already holds,
sends only the others to the executor (:func:`theory.sweep.jobs.run_job`), and appends each
record to the store the moment its future completes; so a sweep killed at any point (even
``SIGKILL``) resumes by running the same command, and recomputes nothing that was recorded.
Only this process writes the store; the workers return records.

The executor is a local process pool by default (``forkserver`` start, safe beside threads),
a ``dask.distributed`` cluster when a scheduler address is given (``client.get_executor()``,
the ``sweep`` extra), or any executor a caller passes in.  At most ``window`` jobs are in
flight (default twice the workers), so a kill loses at most that many running jobs and a
huge sweep does not queue every task at once.  Progress goes to stderr through tqdm: a bar
on a terminal, a plain line about every 5 % otherwise, nothing when ``quiet``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument, TheoryError, require
from .jobs import one_line, run_job
from .spec import Job, SweepSpec
from .store import Store

__all__ = ["SweepError", "run_sweep", "sweep_status"]

_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


class SweepError(TheoryError, RuntimeError):
    """The executor itself failed (a worker died, the scheduler went away); rerun to resume."""


def files_dir(store: Path) -> Path:
    """Where jobs that write files (figures) put them: ``STORE.files/HASH/``."""
    return store.with_suffix(".files")


def sweep_status(spec: SweepSpec, store: str | Path | None = None) -> dict[str, Any]:
    """What is done, failed and pending for ``spec`` in ``store`` (default ``spec.store``); creates nothing.

    Returns
    -------
    dict
        ``spec``, ``name``, ``store``, ``total``, ``done``, ``failed``, ``pending``,
        ``not_ok`` (done, but the job's own verdict was not the expected one) and ``jobs``:
        one row per job (hash, kind, label, params, status, ok, error, seconds).
    """
    path = Path(store) if store is not None else spec.store
    with Store(path, create=False) as s:
        recorded = {r["hash"]: r for r in s.records([j.hash for j in spec.jobs])}
    rows = []
    for job in spec.jobs:
        r = recorded.get(job.hash)
        rows.append(
            {
                "hash": job.hash,
                "kind": job.kind,
                "label": job.label,
                "params": dict(job.params),
                "status": "pending" if r is None else r["status"],
                "ok": None if r is None else r["ok"],
                "error": None if r is None else r["error"],
                "seconds": None if r is None else round(r["finished"] - r["started"], 6),
            }
        )
    count = {k: sum(r["status"] == k for r in rows) for k in ("done", "failed", "pending")}
    return {
        "spec": str(spec.path),
        "name": spec.name,
        "store": str(path),
        "total": len(rows),
        **count,
        "not_ok": sum(r["status"] == "done" and r["ok"] is False for r in rows),
        "jobs": rows,
    }


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


class _Progress:
    """tqdm on stderr: a bar on a terminal, plain lines (tqdm's meter text) otherwise, nothing when quiet."""

    def __init__(self, total: int, initial: int, quiet: bool) -> None:
        tqdm = None if quiet else require("tqdm", "sweep").tqdm
        self._tqdm = tqdm
        self.total, self.n, self.quiet, self.failed = total, initial, quiet, 0
        self.tty = sys.stderr.isatty() and _columns() >= 20  # a terminal of no width gets plain lines
        self.t0 = time.monotonic()
        self.initial = initial  # jobs recorded before this run: not part of its rate
        self._next = initial
        self._bar = None
        if tqdm is not None and self.tty:
            self._bar = tqdm(total=total, initial=initial, file=sys.stderr, unit="job")
        if not quiet and not self.tty:
            sys.stderr.write(f"sweep: {initial}/{total} jobs already recorded\n")

    def update(self, failed: bool) -> None:
        self.n += 1
        self.failed += failed
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(failed=self.failed, refresh=False)
        elif self._tqdm is not None and (self.n >= self._next or self.n == self.total):
            self._next = self.n + max(1, self.total // 20)
            elapsed = time.monotonic() - self.t0
            meter = self._tqdm.format_meter(self.n, self.total, elapsed, unit="job", ascii=True, initial=self.initial)
            sys.stderr.write(f"sweep: {meter} ({self.failed} failed)\n")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@contextmanager
def _executor(
    given: Executor | None, scheduler: str | None, workers: int | None, connect_timeout: float
) -> Iterator[tuple[Executor, str, int]]:
    """The executor, a description and the default window: ``given``, a dask client's, or a process pool."""
    if given is not None:
        yield given, type(given).__name__, 2 * (getattr(given, "_max_workers", None) or os.cpu_count() or 1)
        return
    if scheduler is not None:
        if not scheduler.startswith(_SCHEMES):
            raise InvalidArgument(f"--scheduler {scheduler!r} is not an address; give e.g. tcp://127.0.0.1:8786")
        distributed = require("distributed", "sweep")
        try:
            client = distributed.Client(scheduler, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidArgument(
                f"cannot reach the dask scheduler at {scheduler} ({one_line(exc)}); start it or fix --scheduler"
            ) from None
        try:
            try:
                threads = sum(client.nthreads().values()) or 1
            except Exception:  # the count only sizes the window
                threads = 1
            yield client.get_executor(), f"dask.distributed at {scheduler} ({threads} threads)", 2 * threads
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["theory.sweep.jobs", "numpy", "scipy.integrate"])  # imported once, not per worker
    pool = ProcessPoolExecutor(max_workers=n, mp_context=context)
    try:
        yield pool, f"local process pool ({n} workers)", 2 * n
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_sweep(
    spec: SweepSpec,
    *,
    store: str | Path | None = None,
    executor: Executor | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    window: int | None = None,
    quiet: bool = False,
    trace: str | Path | None = None,
    connect_timeout: float = 10.0,
) -> dict[str, Any]:
    """Run every job of ``spec`` not yet in the store; record each as it finishes.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`theory.sweep.load_spec`.
    store : path, optional
        The SQLite store (default ``spec.store``); created if missing.
    executor : concurrent.futures.Executor, optional
        Any executor (left running).  Default: a dask.distributed client's executor if
        ``scheduler`` is given, else a local process pool of ``workers`` processes (default:
        one per CPU core).
    window : int, optional
        Largest number of jobs in flight (default: twice the workers).
    quiet : bool
        No progress on stderr.
    trace : path, optional
        Each worker appends ``time run_id hash pid`` to this file when it starts a job.
    connect_timeout : float
        Seconds to wait for the dask scheduler.

    Returns
    -------
    dict
        :func:`sweep_status` after the run plus ``run``: ``run_id``, ``computed`` (jobs run now),
        ``already_recorded``, ``seconds`` and ``executor``.

    Raises
    ------
    SweepError
        The executor failed (not a job: a job's failure is its record).  Records made so far
        are kept; running again resumes.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 1024):
        raise InvalidArgument(f"expected workers in [1, 1024], got {workers!r}")
    if (
        isinstance(connect_timeout, bool)
        or not isinstance(connect_timeout, int | float)
        or not 0 < connect_timeout <= 3600
    ):
        raise InvalidArgument(f"expected a connect_timeout in (0, 3600] seconds, got {connect_timeout!r}")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
        raise InvalidArgument(f"expected a positive integer window, got {window!r}")
    if trace is not None and not Path(trace).resolve().parent.is_dir():
        raise InvalidArgument(f"directory of the trace file {str(trace)!r} does not exist; create it first")
    path = Path(store) if store is not None else spec.store
    t0 = time.monotonic()
    run_id = uuid.uuid4().hex[:12]
    extra = (run_id, str(files_dir(path).resolve()), None if trace is None else str(Path(trace).resolve()))
    with Store(path, create=False) as existing:  # nothing is created before the executor is up
        recorded = existing.statuses(j.hash for j in spec.jobs)
    todo = [j for j in spec.jobs if j.hash not in recorded]
    computed, how = 0, "nothing to run"
    if todo:
        Store.check_path(path)
        with _executor(executor, scheduler, workers, connect_timeout) as (ex, how, default_window), Store(path) as db:
            progress = _Progress(len(spec.jobs), len(recorded), quiet)
            try:
                computed = _drive(db, todo, ex, window or default_window, extra, progress)
            finally:
                progress.close()
    out = sweep_status(spec, path)
    out["run"] = {
        "run_id": run_id,
        "computed": computed,
        "already_recorded": len(recorded),
        "seconds": round(time.monotonic() - t0, 3),
        "executor": how,
    }
    return out


def _drive(
    db: Store, todo: list[Job], executor: Executor, window: int, extra: tuple[str, str, str | None], progress: _Progress
) -> int:
    """Keep ``window`` jobs in flight, record each outcome as it arrives; the number recorded.

    ``extra`` is ``(run_id, files_dir, trace)``, passed to every :func:`run_job`.
    """
    pending = iter(todo)
    inflight: dict[Future, Job] = {}
    computed = 0
    try:
        while True:
            while len(inflight) < window and (job := next(pending, None)) is not None:
                try:
                    inflight[executor.submit(run_job, job.kind, dict(job.params), job.hash, *extra)] = job
                except Exception as exc:  # e.g. a closed client, a pool already shut down
                    raise SweepError(
                        f"the executor refused {job.label} ({one_line(exc)}); {computed} jobs recorded in this run, "
                        "run the same command again to resume"
                    ) from None
            if not inflight:
                return computed
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for future in finished:
                job = inflight.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # the executor failed, not the job (run_job catches the job's errors)
                    raise SweepError(
                        f"the executor failed while running {job.label} ({one_line(exc)}); {computed} jobs recorded "
                        "in this run, run the same command again to resume"
                    ) from None
                db.record(job, outcome)
                computed += 1
                progress.update(outcome["status"] == "failed")
    finally:
        for future in inflight:
            future.cancel()
