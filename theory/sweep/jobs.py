"""What one sweep job does, in a worker: call the public API, return a JSON-safe record.

Role: :func:`run_job` is the only function a sweep sends to an executor (a module-level
function, so any :class:`concurrent.futures.Executor` can pickle it: a process pool, a
``dask.distributed`` client's executor, a thread pool).  Each kind calls the library that the
matching command uses:

* ``simulate``: :func:`theory.numeric.simulate.simulate_joma` (``theory simulate``);
* ``check``: :func:`theory.checks.catalogue_oracle.check_names` for a catalogue entry (``theory check``), or
  :func:`theory.check` on a named model and a quantity parsed by
  :func:`theory.symbolic.parse.parse_quantity` (never evaluated);
* ``discover``: :func:`theory.checks.discovery.discover` (``theory discover``);
* ``figure``: :func:`theory.dynamics.figure_registry.render_figure` (``theory figure``), files
  written under the store's ``FILES/HASH/`` folder.

A job that raises records its error as one line (``Type: message``), never a traceback.  The
result is made JSON-safe by :func:`json_safe`: NumPy scalars and arrays become numbers and
lists, and a non-finite float becomes ``{"status": "non-finite", "reason": ...}`` (strict
JSON has no NaN or Infinity), listed in the record's ``notes``; so are the warnings a job
raised (one line each, repeats dropped), instead of being printed by the workers.
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UnknownNameError

__all__ = ["json_safe", "one_line", "run_job"]

MAX_ERROR = 500


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (whitespace collapsed, at most 500 characters)."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 3] + "..."


def json_safe(obj: Any, path: str = "result", notes: list[str] | None = None) -> Any:
    """A copy of ``obj`` that :func:`json.dumps` accepts with ``allow_nan=False``.

    Mappings (keys as strings), sequences, NumPy scalars and arrays are converted; a
    non-finite float becomes ``{"status": "non-finite", "reason": "nan at result.x"}`` and the
    reason is appended to ``notes``; any other object becomes its ``str``.
    """
    notes = [] if notes is None else notes
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        reason = f"{'nan' if math.isnan(obj) else 'inf' if obj > 0 else '-inf'} at {path}"
        notes.append(reason)
        return {"status": "non-finite", "reason": reason}
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v, f"{path}.{k}", notes) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_safe(v, f"{path}[{i}]", notes) for i, v in enumerate(obj)]
    item = getattr(obj, "tolist", None)  # NumPy scalars and arrays (NumPy need not be imported here)
    if callable(item):
        return json_safe(item(), path, notes)
    return str(obj)


def _simulate(p: Mapping[str, Any], files: Path | None) -> tuple[Any, bool | None]:
    from ..numeric.simulate import JomaSimulationConfig, simulate_joma

    config = JomaSimulationConfig(**{k: v for k, v in p.items() if k != "model"})
    summary = simulate_joma(p["model"], config).summary
    return summary, summary.get("status") != "failed"


def _check(p: Mapping[str, Any], files: Path | None) -> tuple[Any, bool | None]:
    if p["name"] is not None:
        from ..checks.catalogue_oracle import check_names

        results = check_names([p["name"]], seed=p["seed"], starts=p["starts"])
        return {"ok": all(r.ok for r in results), "entries": [r.as_dict() for r in results]}, all(r.ok for r in results)
    from ..checks.generic import CheckConfig, check
    from ..models.registry import build_model
    from ..symbolic.parse import parse_quantity

    spec = build_model(p["model"], p["sizes"])
    quantity = parse_quantity(p["quantity"], spec.symbols)
    report = check(spec, quantity, CheckConfig(seed=p["seed"], flow_time=p["flow_time"]))
    return report.as_dict(), None  # a user's quantity has no expected verdict


def _discover(p: Mapping[str, Any], files: Path | None) -> tuple[Any, bool | None]:
    from ..checks.discovery import discover
    from ..models.registry import build_model

    spec = build_model(p["model"], p["sizes"])
    found = discover(spec, p["degree"], count=p["count"], check=p["check"], seed=p["seed"])
    ok = found.complete is not False and all(law.numeric in (None, "conserved") for law in found.laws)
    return found.as_dict(), ok


def _figure(p: Mapping[str, Any], files: Path | None) -> tuple[Any, bool | None]:
    from ..dynamics import figures  # noqa: F401 - registers the JoMA figures
    from ..dynamics.figure_registry import render_figure

    rendered = render_figure(p["name"], files if files is not None else Path("figures"), quick=p["quick"])
    return rendered.as_dict(), rendered.ok


_RUNNERS = {"simulate": _simulate, "check": _check, "discover": _discover, "figure": _figure}


def _trace(path: str, line: str) -> None:
    """Append one line to the execution trace (O_APPEND: lines from many processes do not interleave)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def run_job(
    kind: str,
    params: Mapping[str, Any],
    job_hash: str,
    run_id: str,
    files_dir: str | None = None,
    trace: str | None = None,
) -> dict[str, Any]:
    """Run one job and return its record (never raises for a failure of the job itself).

    Parameters
    ----------
    kind, params, job_hash : str, mapping, str
        The job (:class:`theory.sweep.spec.Job`).
    run_id : str
        The sweep run that sent it (stored with the record).
    files_dir : str, optional
        Folder for the files a job writes (figures): ``files_dir/job_hash/``.
    trace : str, optional
        A file to which one line ``time run_id hash pid`` is appended when the job starts
        (``theory sweep --trace``): an audit, independent of the store, that a resumed sweep
        recomputes nothing.

    Returns
    -------
    dict
        ``hash``, ``status`` (``"done"`` or ``"failed"``), ``ok`` (the job's own verdict: a check
        as expected, a simulation not failed; ``None`` when there is none), ``result``
        (JSON-safe), ``error`` (one line), ``notes``, ``started``, ``finished``, ``worker``
        (``host:pid``) and ``run_id``.
    """
    started = time.time()
    if trace:
        _trace(trace, f"{started:.6f} {run_id} {job_hash} {os.getpid()}\n")
    record: dict[str, Any] = {"hash": job_hash, "run_id": run_id, "started": started}
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:  # kept as notes, not printed by the workers
        warnings.simplefilter("default")
        try:
            if kind not in _RUNNERS:
                raise UnknownNameError(f"unknown job kind {kind!r}; expected one of: {', '.join(_RUNNERS)}")
            files = Path(files_dir) / job_hash if files_dir else None
            result, ok = _RUNNERS[kind](params, files)
            record.update(status="done", ok=ok, result=json_safe(result, "result", notes), error=None)
        except Exception as exc:  # a job's failure is its record, one line; the sweep goes on
            record.update(status="failed", ok=False, result=None, error=one_line(exc))
    seen = dict.fromkeys(f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught)
    record["notes"] = notes + list(seen)
    record["finished"] = time.time()
    return record
