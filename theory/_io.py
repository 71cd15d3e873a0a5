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
    "load_npz",
    "sweep_stale_temps",
]

_SUFFIX = ".tmp"
MAX_ZIP_RATIO = 200  #: largest accepted expansion of an .npz member above 64 MiB (random floats compress < 2x)
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
    _probe(p)
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
    _probe(parent)
    return p


def _probe(directory: Path) -> None:
    """Create and remove a temporary file in ``directory``: the only test of writability that also
    holds for root, read-only mounts and pseudo file systems (``os.access`` says yes to root)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".probe.{os.getpid()}.", suffix=_SUFFIX, dir=directory)
    except OSError as exc:
        raise InvalidArgument(
            f"directory {_short(directory)} is not writable ({_why(exc)}); choose another output path"
        ) from exc
    os.close(fd)
    _unlink(tmp)


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
        _probe(p)
        return p
    existing = p.absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidArgument(f"cannot create output directory {_short(p)}: {_short(existing)} is not a directory")
    _probe(existing)
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
    removed: list[Path] = []
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


def load_npz(path: str | os.PathLike[str], *, what: str = "array file") -> dict[str, np.ndarray]:
    """Load an ``.npz`` safely: every header is read and checked before any data is.

    Refused with one line naming the file (:class:`InvalidArgument`): a missing, empty or
    non-zip file (a renamed text file), a corrupt archive, a member that is not a ``.npy``
    array or holds Python objects (pickles are never loaded), a header whose shape and dtype
    disagree with the member's stored size (corrupt, or lying about its size), a member whose
    compression ratio exceeds :data:`MAX_ZIP_RATIO` above 64 MiB (a zip bomb), and arrays whose
    total size exceeds the memory budget (:func:`theory.check_budget`, ``--max-memory``).
    """
    import zipfile

    from ._budget import check as check_budget
    from ._budget import format_bytes

    p = Path(path)
    name = repr(p.name if len(p.name) <= 80 else p.name[:60] + "...")
    if not p.exists():
        raise InvalidArgument(f"{what} {name} not found; check the path")
    if not p.is_file():
        raise InvalidArgument(f"{what} {name} is not a file (a directory?); pass an .npz file")
    if p.stat().st_size == 0:
        raise InvalidArgument(f"cannot read {what} {name}: it is empty; pass an .npz written by numpy.savez")
    if not zipfile.is_zipfile(p):
        raise InvalidArgument(
            f"cannot read {what} {name}: it is not an .npz (zip) archive (another file renamed?); "
            "pass a file written by numpy.savez"
        )
    total = 0
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    raise InvalidArgument(f"{what} {name} holds {info.filename!r}, which is not a .npy array")
                if info.file_size > 2**26 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                    raise InvalidArgument(
                        f"{what} {name}: member {info.filename!r} expands "
                        f"{info.file_size / max(info.compress_size, 1):.0f}-fold to {format_bytes(info.file_size)} "
                        "(a zip bomb?); refusing to load it"
                    )
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = header(fh, max_header_size=10_000)
                    header_len = fh.tell()
                if dtype.hasobject:
                    raise InvalidArgument(
                        f"{what} {name}: {info.filename!r} holds Python objects; "
                        "only numeric arrays are read (pickles are never loaded)"
                    )
                nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if nbytes != info.file_size - header_len:
                    raise InvalidArgument(
                        f"{what} {name}: {info.filename!r} claims shape {shape} ({format_bytes(nbytes)}) "
                        f"but stores {format_bytes(info.file_size - header_len)}; the file is corrupt"
                    )
                total += nbytes
            check_budget(f"loading {what} {name}", memory=2.0 * total, detail="its arrays' headers, twice for a copy")
            with np.load(p, allow_pickle=False) as z:
                return {key: z[key] for key in z.files}
    except InvalidArgument:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, NotImplementedError) as exc:
        raise InvalidArgument(
            f"cannot read {what} {name}: it is corrupt ({type(exc).__name__}: {' '.join(str(exc).split())[:120]}); "
            "write it again with numpy.savez"
        ) from exc


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
