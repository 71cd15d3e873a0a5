"""The sweep specification: a TOML file of job blocks, each a grid of parameter values.

Role: turn ``SPEC.toml`` into a list of :class:`Job` records, each with a content hash, and
refuse a bad file with one line that names the key and the fix.  The file is read with the
standard library's :mod:`tomllib`; no string in it is ever evaluated (a quantity is parsed by
:func:`theory.symbolic.parse.parse_quantity` when its job runs).

Format::

    [sweep]                         # optional
    store = "lr-seeds.sqlite"       # relative to the SPEC's folder (default: SPEC's name + .sqlite)

    [[jobs]]
    kind = "simulate"               # check | simulate | figure | discover
    model = "joma-exp"              # a plain key: the same value for every job of the block
    tokens = 3
    grid.seed = [0, 1, 2, 3, 4]     # a grid axis: one job per value
    grid.eta_w = [0.25, 0.5, 1.0]

A block of axes :math:`a_1, \\dots, a_k` holds :math:`\\prod_i |a_i|` jobs (the Cartesian
product); the count is computed before anything is expanded and refused beyond the budget
(``max_jobs``).  Every value is checked against the kind's schema (:data:`KINDS`): type,
range, finiteness (TOML allows ``nan`` and ``inf``; they are refused) and, for names, the
list of accepted names.

A job's identity is its content: the hash is the SHA-256 of the canonical JSON of
``{"format": JOB_FORMAT, "kind": ..., "params": ...}`` where ``params`` holds *every*
parameter of the kind, defaults filled in, integers given for float parameters converted to
floats and sizes written in canonical order; so ``seed = 0`` and an omitted seed, ``eta_w =
1`` and ``eta_w = 1.0``, two blocks that overlap, or two spec files that share jobs, all give
the same hash and the job is computed once.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument
from .kinds import KINDS, REQUIRED, Param

__all__ = [
    "DEFAULT_MAX_JOBS",
    "JOB_FORMAT",
    "KINDS",
    "Job",
    "Param",
    "SpecError",
    "SweepSpec",
    "job_hash",
    "load_spec",
    "parse_spec",
]

#: Version of the job record; part of every hash, raised when a kind's meaning changes.
JOB_FORMAT = 1
#: Default budget of jobs per spec (``--max-jobs``).
DEFAULT_MAX_JOBS = 1000
MAX_SPEC_BYTES = 1_000_000
MAX_TEXT = 2000
#: Memory budget of one simulate job (see :func:`_memory_budget`).
MAX_JOB_BYTES = 2 * 2**30


class SpecError(InvalidArgument):
    """A sweep specification is malformed: the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Job:
    """One job of a sweep: its kind, every parameter (canonical), content hash and a short label."""

    kind: str
    params: Mapping[str, Any]
    hash: str
    label: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record: hash, kind, label, params."""
        return {"hash": self.hash, "kind": self.kind, "label": self.label, "params": dict(self.params)}


@dataclass(frozen=True)
class SweepSpec:
    """A parsed spec: where it came from, its store and its jobs (unique hashes, first occurrence kept)."""

    path: Path
    store: Path
    jobs: tuple[Job, ...]
    name: str


def job_hash(kind: str, params: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a job: format version, kind and every parameter."""
    text = json.dumps(
        {"format": JOB_FORMAT, "kind": kind, "params": dict(params)},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1) if len(word) <= 100 else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}expected one of: {', '.join(options)}"


def _number_text(value: object) -> str:
    return _show(value) if not isinstance(value, float) else format(value, "g")


def _cut(text: str, width: int = 40) -> str:
    """A key of the spec as written, cut to ``width`` characters."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _show(value: object, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters (a spec may hold a 4000-digit integer)."""
    text = (
        repr(value)
        if not isinstance(value, int) or abs(value) < 10**width
        else f"<an integer of {len(str(value))} digits>"
    )
    return text if len(text) <= width else text[: width - 3] + "..."


def _value(where: str, key: str, param: Param, value: Any) -> Any:
    """The canonical form of ``value`` for ``param``, or a :class:`SpecError` naming ``where``."""
    if param.type == "bool":
        if not isinstance(value, bool):
            raise SpecError(f"{where}: expected true or false, got {_show(value)}; write {key} = true")
        return value
    if param.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(
                f"{where}: expected an integer, got {_show(value)}; write e.g. {key} = {param.default or 1}"
            )
        lo, hi = param.low, param.high
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise SpecError(f"{where}: {_show(value)} is out of range; give an integer in [{lo:.0f}, {hi:.0f}]")
        return value
    if param.type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(f"{where}: expected a number, got {_show(value)}; write e.g. {key} = {param.default}")
        if isinstance(value, int) and abs(value) > 1e300:
            raise SpecError(f"{where}: {_show(value)} is too large; give a finite number in range")
        x = float(value)
        if not math.isfinite(x):
            raise SpecError(f"{where}: {_number_text(x)} is not a finite number; give a finite value")
        if (param.positive and x <= 0) or (param.high is not None and x > param.high):
            raise SpecError(
                f"{where}: {_number_text(x)} is out of range; give a number in (0, {param.high or math.inf:g}]"
            )
        return x
    if param.type == "sizes":
        if isinstance(value, dict):
            parts = []
            for name, size in value.items():
                if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 64:
                    raise SpecError(f"{where}.{name}: expected an integer size in [1, 64], got {_show(size)}")
                parts.append(f"{name}={size}")
            return ",".join(parts)
        if not isinstance(value, str) or len(value) > 200:
            raise SpecError(f'{where}: expected sizes like "M=2,K=1" or {{M = 2, K = 1}}, got {_show(value)}')
        return value
    if not isinstance(value, str):
        raise SpecError(f'{where}: expected a string, got {_show(value)}; write {key} = "..."')
    if len(value) > MAX_TEXT:
        raise SpecError(f"{where}: the text has {len(value)} characters; give at most {MAX_TEXT}")
    if param.choices is not None:
        options = param.choices()
        if value not in options:
            raise SpecError(f"{where}: unknown {key} {_show(value)}; {_suggest(value, options)}")
    return value


def _canonical_sizes(where: str, model: str, text: str | None) -> str:
    from ..models.registry import MODELS, parse_sizes

    allowed = MODELS[model].defaults
    try:
        sizes = parse_sizes(text, allowed)
    except InvalidArgument as exc:
        raise SpecError(f"{where}.sizes: {exc}") from None
    for name, size in sizes.items():
        if not 1 <= size <= 64:
            raise SpecError(f"{where}.sizes: {name}={size} is out of range; give sizes in [1, 64]")
    return ",".join(f"{name}={sizes[name]}" for name in allowed)


def _memory_budget(where: str, m: int, k: int, n: int) -> None:
    """Refuse a simulate job whose arrays would not fit: sizes are checked together, not one by one.

    The estimate, in float64 bytes, is :math:`8\\,(KNM + MN + KN + 101\\,(KM + K + M))`: the data
    (:math:`N \\times M` frequencies, :math:`K \\times N` targets), the trajectory on its 101-point
    grid, and an allowance of one :math:`K \\times N \\times M` intermediate for the right-hand side.
    """
    need = 8 * (k * n * m + m * n + k * n + 101 * (k * m + k + m))
    if need > MAX_JOB_BYTES:
        raise SpecError(
            f"{where}: a simulate job of tokens={m}, hidden={k}, samples={n} needs about {need / 2**30:.3g} GiB "
            f"(estimate 8 (KNM + MN + KN) bytes), beyond {MAX_JOB_BYTES // 2**30} GiB per job; lower the sizes"
        )


def _complete(where: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Cross-key rules of a kind; returns the canonical parameters."""
    if kind == "simulate":
        _memory_budget(where, params["tokens"], params["hidden"], params["samples"])
    if kind == "check":
        if (params["name"] is None) == (params["model"] is None):
            raise SpecError(
                f"{where}: a check job needs either name (a catalogue entry) or model + quantity; give one of them"
            )
        if params["name"] is not None:
            extra = [k for k in ("sizes", "quantity") if params[k] is not None]
            if extra:
                raise SpecError(f"{where}: {extra[0]} goes with model, not with name; drop {extra[0]}")
        elif params["quantity"] is None:
            raise SpecError(f'{where}: a check of model {params["model"]!r} needs quantity; add quantity = "..."')
    if params.get("model") is not None and "sizes" in params:
        params["sizes"] = _canonical_sizes(where, params["model"], params["sizes"])
    return params


def _label(kind: str, params: Mapping[str, Any], axes: Sequence[str]) -> str:
    first = params.get("model") or params.get("name") or ""
    shown = " ".join(f"{k}={_number_text(params[k])}" for k in axes if k not in ("model", "name"))
    return " ".join(p for p in (kind, str(first), shown) if p)


def _block_jobs(where: str, block: Any, budget_left: int, max_jobs: int) -> list[Job]:
    if not isinstance(block, dict):
        raise SpecError(f"{where}: expected a table [[jobs]], got {_show(block)}")
    kind = block.get("kind")
    if kind is None:
        raise SpecError(f'{where}: missing kind; add kind = "simulate" (one of: {", ".join(KINDS)})')
    if not isinstance(kind, str) or kind not in KINDS:
        raise SpecError(f"{where}.kind: unknown job kind {_show(kind)}; {_suggest(str(kind), tuple(KINDS))}")
    schema = KINDS[kind]
    grid = block.get("grid", {})
    if not isinstance(grid, dict):
        raise SpecError(f"{where}.grid: expected a table of lists (grid.seed = [0, 1]), got {_show(grid)}")
    fixed = {k: v for k, v in block.items() if k not in ("kind", "grid")}
    for key in (*fixed, *grid):
        if key not in schema:
            path = f"{where}.{'grid.' if key in grid else ''}{_cut(key)}"
            raise SpecError(f"{path}: unknown key for a {kind} job; {_suggest(key, tuple(schema))}")
    for key in grid:
        if key in fixed:
            raise SpecError(f"{where}: {key} is both a plain key and grid.{key}; keep one")
    for key, param in schema.items():
        if param.default is REQUIRED and key not in fixed and key not in grid:
            raise SpecError(f'{where}: a {kind} job needs {key}; add {key} = "..." or grid.{key} = [...]')
    sizes = []
    for key, values in grid.items():
        if not isinstance(values, list):
            raise SpecError(
                f"{where}.grid.{key}: expected a list of values, got {_show(values)}; write grid.{key} = [...]"
            )
        if not values:
            raise SpecError(f"{where}.grid.{key}: empty grid axis; give at least one value or remove it")
        sizes.append(len(values))
    count = math.prod(sizes)
    if count > budget_left:
        raise SpecError(
            f"{where}: the grid holds {count} jobs ({' x '.join(map(str, sizes)) or '1'}), beyond the budget of "
            f"{max_jobs} jobs per sweep; shrink the grid or raise --max-jobs"
        )
    base = {k: (None if p.default is REQUIRED else p.default) for k, p in schema.items()}
    base.update({k: _value(f"{where}.{k}", k, schema[k], v) for k, v in fixed.items()})
    axes = {k: [_value(f"{where}.grid.{k}[{i}]", k, schema[k], v) for i, v in enumerate(vs)] for k, vs in grid.items()}
    jobs = []
    for combo in itertools.product(*axes.values()):
        params = _complete(where, kind, {**base, **dict(zip(axes, combo, strict=True))})
        jobs.append(Job(kind, params, job_hash(kind, params), _label(kind, params, tuple(axes))))
    return jobs


def parse_spec(
    data: Mapping[str, Any], path: str | Path = "SPEC.toml", *, max_jobs: int = DEFAULT_MAX_JOBS
) -> SweepSpec:
    """Check a parsed TOML document and expand its grids into jobs.

    Parameters
    ----------
    data : mapping
        The document (:func:`tomllib.loads`).
    path : str or Path
        The spec's path: names the file in messages and anchors a relative ``sweep.store``.
    max_jobs : int
        Budget: the total number of jobs (before removing duplicates) the spec may hold.

    Returns
    -------
    SweepSpec

    Raises
    ------
    SpecError
        An unknown key or kind, a value of the wrong type or range, a non-finite number, an
        empty grid axis, no jobs, or more jobs than ``max_jobs``.
    """
    p = Path(path)
    if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
        raise InvalidArgument(f"expected a positive integer max_jobs, got {max_jobs!r}")
    for key in data:
        if key not in ("sweep", "jobs"):
            raise SpecError(f"{p.name}: unknown key {_show(key)}; {_suggest(key, ('jobs', 'sweep'))}")
    head = data.get("sweep", {})
    if not isinstance(head, dict):
        raise SpecError(f"{p.name}: sweep must be a table [sweep], got {_show(head)}")
    for key in head:
        if key not in ("store", "name"):
            raise SpecError(f"{p.name}: sweep.{_cut(key)}: unknown key; {_suggest(key, ('name', 'store'))}")
    for key in ("store", "name"):
        if key in head and (not isinstance(head[key], str) or not head[key] or len(head[key]) > 1000):
            raise SpecError(f"{p.name}: sweep.{key}: expected a non-empty string, got {_show(head[key])}")
    blocks = data.get("jobs")
    if not blocks:
        raise SpecError(f'{p.name}: no jobs; add a [[jobs]] table with kind = "simulate" and its parameters')
    if not isinstance(blocks, list):
        raise SpecError(f"{p.name}: jobs must be an array of tables [[jobs]], got {type(blocks).__name__}")
    jobs: dict[str, Job] = {}
    total = 0
    for i, block in enumerate(blocks):
        found = _block_jobs(f"{p.name}: jobs[{i}]", block, max_jobs - total, max_jobs)
        total += len(found)
        for job in found:
            jobs.setdefault(job.hash, job)
    store = p.parent / head["store"] if "store" in head else p.with_suffix(".sqlite")
    return SweepSpec(path=p, store=store, jobs=tuple(jobs.values()), name=head.get("name", p.stem))


def load_spec(path: str | Path, *, max_jobs: int = DEFAULT_MAX_JOBS) -> SweepSpec:
    """Read and check ``SPEC.toml`` (:func:`parse_spec`); a missing, huge or malformed file is a :class:`SpecError`."""
    p = Path(path)
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode) and not p.is_dir():
            raise SpecError(f"sweep spec {str(p)!r} is not a regular file; give the path of a SPEC.toml")
        with open(p, "rb") as fh:  # read at most the limit: the size of a special file is not known
            raw = fh.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError(f"{p}: more than {MAX_SPEC_BYTES} bytes; a sweep spec is small (use grid axes)")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise SpecError(f"sweep spec {str(p)!r} not found; give the path of a SPEC.toml") from None
    except IsADirectoryError:
        raise SpecError(f"sweep spec {str(p)!r} is a directory; give the path of a SPEC.toml") from None
    except OSError as exc:
        raise SpecError(f"cannot read sweep spec {str(p)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{p}: not UTF-8 text; save the spec as UTF-8 TOML") from None
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer beyond Python's 4300-digit limit
        raise SpecError(f"{p}: invalid TOML ({str(exc)[:200]}); fix the syntax") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise SpecError(f"{p}: arrays or tables nested too deeply; a sweep spec needs two levels") from None
    return parse_spec(data, p, max_jobs=max_jobs)
