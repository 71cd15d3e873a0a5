"""Resumable sweeps: a TOML grid of check / simulate / figure / discover jobs on any executor.

``theory sweep SPEC.toml`` (docs/sweeps.md).  :func:`load_spec` reads and checks the spec and
expands its grids into jobs keyed by a content hash (:mod:`theory.sweep.spec`);
:func:`run_sweep` sends the jobs not yet recorded to a ``concurrent.futures`` executor (a local
process pool, or ``dask.distributed``) and appends each record to an append-only SQLite store
(:mod:`theory.sweep.store`) as it finishes, so a killed sweep resumes where it stopped;
:func:`sweep_status` reports what is done, failed and pending.

Examples
--------
>>> from theory.sweep import parse_spec
>>> spec = parse_spec({"jobs": [{"kind": "simulate", "model": "joma-exp", "grid": {"seed": [0, 1, 2]}}]})
>>> len(spec.jobs), spec.jobs[0].label
(3, 'simulate joma-exp seed=0')
"""

from __future__ import annotations

from .jobs import json_safe, run_job
from .run import SweepError, run_sweep, sweep_status
from .spec import DEFAULT_MAX_JOBS, KINDS, Job, SpecError, SweepSpec, load_spec, parse_spec
from .store import Store, StoreError

__all__ = [
    "DEFAULT_MAX_JOBS",
    "KINDS",
    "Job",
    "SpecError",
    "Store",
    "StoreError",
    "SweepError",
    "SweepSpec",
    "json_safe",
    "load_spec",
    "parse_spec",
    "run_job",
    "run_sweep",
    "sweep_status",
]
