"""Atomic file output: a file is either fully written or not there at all.

Every writer goes through a temporary file in the target directory followed by
:func:`os.replace`, which is atomic on POSIX, so an interrupted run never leaves a
half-written artefact behind.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._json import dumps
from .errors import InvalidArgument

_UMASK = os.umask(0)
os.umask(_UMASK)

__all__ = [
    "atomic_savez",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_dir",
    "check_writable",
    "ensure_dir",
    "sweep_stale_temps",
]

_SUFFIX = ".tmp"
_NAME_MAX = 255  #: longest file name component on Linux/macOS file systems


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) as a directory, or fail with a clear message."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidArgument(f"output path {str(p)!r} exists and is not a directory; pass a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgument(f"cannot create output directory {_short(p)}: {_why(exc)}") from exc
    if not os.access(p, os.W_OK | os.X_OK):
        raise InvalidArgument(f"output directory {_short(p)} is not writable; choose another one")
    return p


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail now, before any work, if ``path`` could not be written as a file.

    Checks that the name is not too long, that it is not a directory, and that its directory
    exists and is writable; the CLI runs it on every output option before the work starts.
    """
    p = Path(path)
    if not str(p):
        raise InvalidArgument("output path is empty; pass a file name")
    for part in p.parts:
        if len(part.encode("utf-8", "surrogateescape")) > _NAME_MAX:
            raise InvalidArgument(
                f"output name {part[:40]!r}... is {len(part)} characters long; at most {_NAME_MAX} are allowed"
            )
    if p.is_dir():
        raise InvalidArgument(f"output path {_short(p)} is a directory; pass a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidArgument(f"directory {_short(parent)} for output {p.name!r} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgument(f"directory {_short(parent)} is not writable; choose another output path")
    return p


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Fail now, before any work, if ``path`` could not be used (or created) as an output directory."""
    p = Path(path)
    if not str(p):
        raise InvalidArgument("output directory is empty; pass a directory name")
    for part in p.parts:
        if len(part.encode("utf-8", "surrogateescape")) > _NAME_MAX:
            raise InvalidArgument(
                f"output name {part[:40]!r}... is {len(part)} characters long; at most {_NAME_MAX} are allowed"
            )
    if p.exists():
        if not p.is_dir():
            raise InvalidArgument(f"output path {_short(p)} exists and is not a directory; pass a directory")
        if not os.access(p, os.W_OK | os.X_OK):
            raise InvalidArgument(f"output directory {_short(p)} is not writable; choose another one")
        return p
    existing = p.absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidArgument(f"cannot create output directory {_short(p)}: {_short(existing)} is not writable")
    return p


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename).

    The temporary file is ``.NAME.PID.XXXX.tmp`` beside the target: it is removed on any
    exception (including ``KeyboardInterrupt`` and, in the CLI, SIGTERM); one left by a killed
    process (SIGKILL, power loss) is swept by the next write into the same directory
    (:func:`sweep_stale_temps`).  Any ``OSError`` becomes an :class:`InvalidArgument` naming the file.
    """
    p = check_writable(path)
    parent = p.parent if str(p.parent) else Path(".")
    sweep_stale_temps(parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name[:80]}.{os.getpid()}.", suffix=_SUFFIX, dir=parent)
    except OSError as exc:
        raise InvalidArgument(f"cannot write {_short(p)}: {_why(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, p)
    except OSError as exc:
        _unlink(tmp)
        raise InvalidArgument(f"cannot write {_short(p)}: {_why(exc)}") from exc
    except BaseException:
        _unlink(tmp)
        raise
    return p


def sweep_stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files left in ``directory`` by writers that are no longer running.

    A temporary file's name carries its writer's process id; it is stale when that process
    is gone.  Returns the files removed.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(_SUFFIX)):
            continue
        parts = name[: -len(_SUFFIX)].rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and not _alive(pid):
            _unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours
        return True
    return True


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _short(p: Path) -> str:
    text = str(p)
    return repr(text if len(text) <= 80 else text[:60] + "..." + text[-15:])


def _why(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented strict JSON atomically (non-finite numbers become a status, see :mod:`._json`)."""
    text, _ = dumps(data)
    return atomic_write_text(path, text + "\n")


def atomic_savez(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> Path:
    """Save arrays as a compressed ``.npz`` atomically (the suffix must be ``.npz``)."""
    p = Path(path)
    if p.suffix != ".npz":
        raise InvalidArgument(f"output file {str(p)!r} must end in .npz")
    buf = io.BytesIO()
    np.savez_compressed(buf, **dict(arrays))  # type: ignore[arg-type]
    return atomic_write_bytes(p, buf.getvalue())

