"""The manifest of a multi-step output directory: which run wrote which file.

``theory reproduce`` writes several files into one directory, step by step.  A run first
replaces ``summary.json`` by :func:`running_summary` (``"status": "running", "ok": false``), so
a killed run never leaves an ``ok`` summary beside partial output, and keeps
``manifest.json`` (:data:`MANIFEST`): every file with the run id and step that wrote it,
rewritten atomically as each step finishes.  Files an earlier run wrote and this one did not
keep their old run id, so stale output is visible.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "load_manifest", "new_run_id", "record_files", "running_summary"]

#: File name of the manifest inside the output directory.
MANIFEST = "manifest.json"


def new_run_id() -> str:
    """A unique, sortable run id: ``YYYYMMDDTHHMMSS-PID-RANDOM``."""
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def running_summary(out: str, run_id: str) -> dict[str, Any]:
    """The summary a run writes first: not ``ok`` until the run has finished."""
    return {
        "out": out,
        "run_id": run_id,
        "status": "running",
        "ok": False,
        "note": "this run has not finished (or was killed); see manifest.json for the files it wrote",
    }


def load_manifest(directory: Path) -> dict[str, Any]:
    """The ``files`` table of ``directory``'s manifest (empty when there is none or it is unreadable)."""
    try:
        data = json.loads((directory / MANIFEST).read_text())
        files = data.get("files", {})
        return dict(files) if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def record_files(manifest: dict[str, Any], files: Iterable[str], directory: Path, run_id: str, step: str) -> None:
    """Enter ``files`` (paths inside ``directory``) as written by ``run_id`` / ``step``."""
    for f in files:
        try:
            key = str(Path(f).relative_to(directory))
        except ValueError:
            key = str(f)
        manifest[key] = {"run_id": run_id, "step": step}
