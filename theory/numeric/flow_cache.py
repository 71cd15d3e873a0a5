"""Compiled flows cached: in memory for the process, on disk by content hash for the CLI.

Role: a repeated ``theory simulate`` or ``theory check`` pays no symbolic work.  Deriving a
flow with SymPy and compiling it costs about a second; the result is plain generated Python
source (the project's own printers: :mod:`theory.numeric.indexed_print` and SymPy's
``lambdify`` printer) plus names, so it is stored as JSON and re-executed through
:func:`theory.numeric._compiled.compile_source`, never pickled (pickling lambdified functions
does not work, and a pickle would run arbitrary code on load).  The same store holds the
compile plans of :mod:`theory.numeric.plan` (keyed by a cheap description of the run instead
of the content, so that a warm run needs no SymPy to compute its key).

Key.  ``sha256`` over :data:`CACHE_VERSION`, a fingerprint of the toolkit's source (every
``.py`` of the package, and of the ``derivations/`` folder in a source checkout: editing any of
it invalidates the cache, since models, theorem quantities and printers all shape the
generated code) and the content of what is
compiled (the model spec's loss, parameter groups, data and constants as ``sympy.srepr``, and
the watched invariants; for the index-form JoMA flow its attention and activation).

Safety.  A record is used only if it parses as JSON, carries this version and key, and its
``digest`` (``sha256`` of the canonical JSON of the payload) matches; anything else -- a
truncated, corrupt or foreign file -- is ignored and recomputed, and the fresh record
overwrites it (atomically, :func:`theory._io.atomic_write_json`).  The digest detects
corruption, not tampering: like ``site-packages``, the directory must be the user's own, so a
directory writable by every user is not read.  An unwritable directory
only disables the disk level.  Where: ``$THEORY_CACHE_DIR``, else
``$XDG_CACHE_HOME/theory``, else ``~/.cache/theory``; ``THEORY_CACHE_DIR=off`` turns the disk
level off.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_VERSION",
    "cache_dir",
    "cached",
    "clear_memory",
    "content_key",
    "load_record",
    "recall",
    "remember",
    "stats",
    "store_record",
]

#: Bump when the record layout changes.
CACHE_VERSION = 2

_MEMORY: dict[str, Any] = {}
_STATS = {"memory": 0, "disk": 0, "computed": 0}
_FINGERPRINT: list[str] = []


def cache_dir() -> Path | None:
    """The disk cache's directory, or ``None`` when ``THEORY_CACHE_DIR=off``."""
    explicit = os.environ.get("THEORY_CACHE_DIR")
    if explicit is not None:
        return None if explicit.strip().lower() in ("", "off", "0", "none") else Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "theory"


def _fingerprint() -> str:
    """Hash of the toolkit's source files (computed once per process, ~10 ms)."""
    if not _FINGERPRINT:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        # the package, and the derivations folder of a source checkout (in a wheel it is inside)
        for base in (root, root.parent / "derivations"):
            for path in sorted(base.rglob("*.py")) if base.is_dir() else ():
                h.update(path.relative_to(base.parent).as_posix().encode())
                h.update(path.read_bytes())
        _FINGERPRINT.append(h.hexdigest())
    return _FINGERPRINT[0]


def content_key(kind: str, *parts: str) -> str:
    """The cache key of ``parts`` (strings describing what is compiled) under ``kind``."""
    h = hashlib.sha256()
    for part in (str(CACHE_VERSION), _fingerprint(), kind, *parts):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def load_record(key: str) -> tuple[dict | None, str | None]:
    """The payload stored under ``key`` and, when a file is there but unusable, why.

    Returns
    -------
    (payload, problem) : ``(dict, None)`` for a valid record; ``(None, None)`` when there is no
        record (or no disk level); ``(None, reason)`` for a corrupt, stale, foreign or unreadable one.
    """
    folder = cache_dir()
    if folder is None:
        return None, None
    path = folder / f"{key}.json"
    try:
        if folder.stat().st_mode & 0o002:  # world-writable: anyone could plant code there
            return None, "cache directory is writable by every user; not read"
        text = path.read_text()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cache record unreadable ({type(exc).__name__})"
    try:
        record = json.loads(text)
    except ValueError:
        return None, "cache record is not valid JSON"
    if not isinstance(record, Mapping) or record.get("version") != CACHE_VERSION or record.get("key") != key:
        return None, "cache record of another version or key"
    payload = record.get("payload")
    if not isinstance(payload, dict) or record.get("digest") != _digest(payload):
        return None, "cache record fails its digest (corrupt)"
    return payload, None


def _load(key: str) -> dict | None:
    return load_record(key)[0]


def store_record(key: str, payload: dict) -> None:
    """Write ``payload`` under ``key`` atomically (nothing when the disk level is off or unwritable)."""
    _store(key, payload)


def recall(key: str) -> Any | None:
    """The object the memory level holds under ``key``, or ``None``."""
    return _MEMORY.get(key)


def remember(key: str, obj: Any) -> None:
    """Hold ``obj`` under ``key`` in the memory level (cleared by :func:`clear_memory`)."""
    _MEMORY[key] = obj


def _store(key: str, payload: dict) -> None:
    from .._io import atomic_write_json

    folder = cache_dir()
    if folder is None:
        return
    record = {"version": CACHE_VERSION, "key": key, "digest": _digest(payload), "payload": payload}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_json(folder / f"{key}.json", record)
    except OSError:
        return  # a read-only or full disk only loses the disk level


def cached(
    key: str,
    build: Callable[[], Any],
    to_record: Callable[[Any], dict],
    from_record: Callable[[dict], Any],
) -> tuple[Any, str]:
    """The object under ``key``: from memory, else from disk, else ``build()`` (then stored).

    Returns
    -------
    (obj, source) : ``source`` is ``"memory"``, ``"disk"`` or ``"computed"``.
    """
    if key in _MEMORY:
        _STATS["memory"] += 1
        return _MEMORY[key], "memory"
    payload = _load(key)
    if payload is not None:
        try:
            obj = from_record(payload)
        except Exception:  # the cache is only a shortcut: any failure to rebuild means recompute
            obj = None
        if obj is not None:
            _MEMORY[key] = obj
            _STATS["disk"] += 1
            return obj, "disk"
    obj = build()
    _MEMORY[key] = obj
    _STATS["computed"] += 1
    _store(key, to_record(obj))
    return obj, "computed"


def clear_memory() -> None:
    """Forget the in-memory level (tests; the disk level stays)."""
    _MEMORY.clear()


def stats() -> dict[str, int]:
    """How many look-ups were served from memory, from disk, or computed, in this process."""
    return dict(_STATS)
