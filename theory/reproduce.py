"""The main job: prove the catalogue, write LaTeX, run the numeric checks, make the figures.

:func:`reproduce` runs each step of :data:`STEPS` by calling the library directly (the same
functions the ``theory`` sub-commands call), saves each step's JSON record as
``OUT/STEP.json`` (what ``theory COMMAND --json`` prints for the step's ``command``; a
figure's numbers stay in ``OUT/figures/NAME.json`` only, so no JSON is written twice) and
writes ``OUT/summary.json`` listing every step with its status, exit code, duration and the
files it wrote.  Every file is written atomically.  A run first replaces ``summary.json`` by a
``"status": "running", "ok": false`` record and writes the final one only at the end, so a
killed run never leaves an ``ok`` summary beside partial output; ``OUT/manifest.json`` maps
every file to the run id (and step) that wrote it, updated as each step finishes; temporary
files of an earlier killed run are swept at the start.  The SST step is reported as skipped,
never faked, when the SST data directory is missing.

The CLI ``theory reproduce`` only parses its flags, calls :func:`reproduce` and prints the
summary; this module never touches the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._manifest import MANIFEST, load_manifest, new_run_id, record_files, running_summary
from .errors import InvalidArgument, TheoryError, TimeBudgetExceeded

__all__ = ["DEFAULT_SST", "STEPS", "ReproduceSummary", "Step", "StepOutput", "StepRecord", "reproduce"]

#: SST data directory used when none is given (relative to the working directory).
DEFAULT_SST = Path("..") / "shared" / "data" / "sst"


@dataclass(frozen=True)
class StepOutput:
    """What one step computed.

    Attributes
    ----------
    data : Any
        The JSON-ready record saved as ``OUT/STEP.json`` (unless ``record`` holds it already).
    ok : bool
        Whether every verdict was the expected one.
    files : tuple of str
        Files the step wrote besides its record (LaTeX, figure PNG/PDF, the Lu figures' JSON).
    notes : tuple of str
        Notes for the user (e.g. matplotlib missing, so only the numbers were written).
    record : str or None
        A file the step already wrote that holds ``data`` (a figure's ``NAME.json``): then
        ``STEP.json`` is not written, so ``OUT`` never holds the same JSON twice.
    """

    data: Any
    ok: bool
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    record: str | None = None


@dataclass(frozen=True)
class Step:
    """One step of the main job.

    Attributes
    ----------
    name : str
        Step name; its record is saved as ``OUT/NAME.json``.
    what : str
        One-line description.
    command : tuple of str
        The equivalent ``theory`` command (documentation: run it to redo this one step);
        ``{out}`` stands for the output directory, ``{sst}`` for the SST data directory.
    run : callable
        ``run(out, sst) -> StepOutput``: calls the library, writes the step's own files under ``out``.
    needs_sst : bool
        Skip the step when the SST data directory is missing.
    """

    name: str
    what: str
    command: tuple[str, ...]
    run: Callable[[Path, Path], StepOutput]
    needs_sst: bool = False


@dataclass(frozen=True)
class StepRecord:
    """How one step went.

    Attributes
    ----------
    name, what : str
        From the :class:`Step`.
    status : {"ok", "unexpected-result", "error", "skipped"}
        ``unexpected-result``: ran, but some verdict was not the expected one;
        ``error``: bad input (the step's command would exit 2).
    command : str
        The equivalent ``theory`` command, with the directories filled in.
    exit_code : int or None
        The equivalent command's exit code (0, 1 or 2); ``None`` when skipped.
    seconds : float
        Wall time of the step.
    files : tuple of str
        Every file written, the step's record first (``STEP.json``, or a figure's ``NAME.json``).
    notes : tuple of str
        Notes for the user.
    reason : str
        Why the step was skipped, or the error message.
    """

    name: str
    what: str
    status: str
    command: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Ran with every verdict as expected, or skipped."""
        return self.status in ("ok", "skipped")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready row of ``summary.json``."""
        if self.status == "skipped":
            return {"step": self.name, "status": self.status, "reason": self.reason}
        row: dict[str, Any] = {
            "step": self.name,
            "what": self.what,
            "command": self.command,
            "status": self.status,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "files": list(self.files),
        }
        if self.notes:
            row["notes"] = list(self.notes)
        if self.reason:
            row["stderr"] = self.reason
        return row

    def line(self) -> str:
        """One human-readable line: status, name, seconds, description (or why skipped)."""
        seconds = "" if self.status == "skipped" else f"{self.seconds:.2f}"
        return f"{self.status:<18} {self.name:<24} {seconds:>7}s  {self.reason or self.what}"


@dataclass(frozen=True)
class ReproduceSummary:
    """The outcome of :func:`reproduce` (also written to ``OUT/summary.json``).

    Attributes
    ----------
    out : str
        The output directory.
    steps : tuple of StepRecord
        One record per step run or skipped, in order.
    """

    out: str
    steps: tuple[StepRecord, ...] = field(default=())
    run_id: str = ""

    @property
    def ok(self) -> bool:
        """Every step ran with its expected verdicts, or was skipped."""
        return all(s.ok for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: ``out``, ``run_id``, ``status`` (``complete``), ``steps`` (rows) and ``ok``."""
        return {
            "out": self.out,
            "run_id": self.run_id,
            "status": "complete",
            "steps": [s.as_dict() for s in self.steps],
            "ok": self.ok,
        }


# ----------------------------------------------------------------------------- the steps
def _prove(out: Path, sst: Path) -> StepOutput:
    from .commands import prove_entries

    latex = out / "latex"
    rows = prove_entries(None, latex_dir=latex)
    return StepOutput(rows, all(r["ok"] for r in rows), tuple(str(latex / f"{r['name']}.tex") for r in rows))


def _check(out: Path, sst: Path) -> StepOutput:
    from .commands import check_entries

    data = check_entries(None, seed=0, starts=2)
    return StepOutput(data, data["ok"])


def _figure(name: str) -> Callable[[Path, Path], StepOutput]:
    def run(out: Path, sst: Path) -> StepOutput:
        from .dynamics import figures  # noqa: F401 - registers the JoMA figures
        from .dynamics.figure_registry import render_figure

        rendered = render_figure(name, out / "figures")
        data_file, *others = rendered.files  # figures/NAME.json holds the figure's numbers: not copied
        return StepOutput(rendered.as_dict(), rendered.ok, tuple(others), rendered.notes, record=data_file)

    return run


def _hierarchy(out: Path, sst: Path) -> StepOutput:
    from .hierarchy.figure import attach_figure
    from .hierarchy.report import HierarchyConfig, hierarchy_report
    from .hierarchy.toy import ToyConfig

    config = HierarchyConfig(
        rho=0.8, channel="symmetric", classes=2, samples=20_000, seed=0, toy_runs=3, toy_config=ToyConfig()
    )
    report = hierarchy_report(3, 2, config)
    report, notes = attach_figure(report, out / "figures")
    files = tuple(v for k, v in report["figure"].items() if k not in ("note", "json") and v)
    return StepOutput(report, report["ok"], files, notes, record=report["figure"]["json"])


def _lu_synthetic(out: Path, sst: Path) -> StepOutput:
    from .lu.report import SyntheticConfig, synthetic_report, with_figures

    rep = with_figures(synthetic_report(SyntheticConfig(classifier="FC")), "synthetic", out / "figures")
    return StepOutput(rep.data, rep.ok, tuple(rep.data["plots"]["written"]), rep.notes)


def _lu_sst(out: Path, sst: Path) -> StepOutput:
    from .lu.report import sst_report, with_figures

    rep = with_figures(sst_report(sst, task="sst2", classifier="TC"), "sst", out / "figures")
    return StepOutput(rep.data, rep.ok, tuple(rep.data["plots"]["written"]), rep.notes)


def _receptive_field(out: Path, sst: Path) -> StepOutput:
    from .architecture import parse_mask, receptive_field

    rep = receptive_field([parse_mask("window:4096")], 32, 131072, method="auto")
    return StepOutput(rep.to_dict(), True)


def _compare_arch(out: Path, sst: Path) -> StepOutput:
    from .architecture import compare_architectures

    cmp = compare_architectures(
        ["layers=15,heads=3,d_head=64", "layers=30,heads=5,d_head=64"], context=2048, tokens=2e9
    )
    return StepOutput(cmp.to_dict(), True)


_FIGURES = (
    ("joma-invariant", "JoMA Fig. 2 check"),
    ("joma-entropy", "sparse-then-dense entropy"),
    ("joma-linear", "erfinv closed form, blow-up"),
    ("joma-components", "V before/after training"),
    ("joma-full", "full model vs reduced flow"),
)

STEPS: tuple[Step, ...] = (
    Step("prove", "prove the catalogue, write LaTeX", ("prove", "--all", "--latex", "{out}/latex"), _prove),
    Step("check", "numeric checks: ODE drift, GD drift slopes, negative controls", ("check", "--all"), _check),
    *(
        Step(f"figure-{name}", what, ("figure", name, "--out", "{out}/figures"), _figure(name))
        for name, what in _FIGURES
    ),
    Step(
        "hierarchy",
        "hierarchical latent tree co-occurrence",
        ("hierarchy", "--depth", "3", "--branching", "2", "--rho", "0.8", "--plot", "{out}/figures"),
        _hierarchy,
    ),
    Step(
        "lu-synthetic",
        "Lu et al. identity on synthetic topics",
        ("lu", "synthetic", "--classifier", "FC", "--plot", "{out}/figures"),
        _lu_synthetic,
    ),
    Step(
        "lu-sst",
        "Lu et al. identity and purity shift on SST2",
        ("lu", "sst", "--data", "{sst}", "--task", "sst2", "--classifier", "TC", "--plot", "{out}/figures"),
        _lu_sst,
        needs_sst=True,
    ),
    Step(
        "receptive-field",
        "exact reach of a banded stack",
        ("receptive-field", "--layers", "32", "--mask", "window:4096"),
        _receptive_field,
    ),
    Step(
        "compare-arch",
        "receptive field and scaling-law comparison",
        (
            "compare-arch",
            "layers=15,heads=3,d_head=64",
            "layers=30,heads=5,d_head=64",
            "--context",
            "2048",
            "--tokens",
            "2e9",
        ),
        _compare_arch,
    ),
)
"""The steps of the main job, in order."""


def _run_step(step: Step, directory: Path, sst: Path) -> StepRecord:
    from ._io import atomic_write_json  # loads NumPy: kept off `theory --help`

    command = "theory " + " ".join(a.replace("{out}", str(directory)).replace("{sst}", str(sst)) for a in step.command)
    if step.needs_sst and not sst.is_dir():
        return StepRecord(step.name, step.what, "skipped", reason=f"no SST data at {sst} (pass --sst DIR)")
    t0 = time.perf_counter()
    try:
        output = step.run(directory, sst)
    except TimeBudgetExceeded:  # the whole run is out of time: stop (summary.json stays `running`)
        raise
    except TheoryError as exc:  # bad input: the step's command would exit 2
        message = " ".join(str(exc).split()) or type(exc).__name__
        name = " ".join(step.command[:2] if step.command[0] == "lu" else step.command[:1])
        return StepRecord(
            step.name,
            step.what,
            "error",
            command,
            2,
            time.perf_counter() - t0,
            reason=f"theory {name}: error: {message}",
        )
    record_path = output.record or atomic_write_json(directory / f"{step.name}.json", output.data)
    return StepRecord(
        step.name,
        step.what,
        "ok" if output.ok else "unexpected-result",
        command,
        0 if output.ok else 1,
        time.perf_counter() - t0,
        (str(record_path), *output.files),
        output.notes,
    )


def reproduce(
    out_dir: str | Path,
    *,
    sst: str | Path | None = None,
    steps: Sequence[str] | None = None,
    progress: Callable[[StepRecord], None] | None = None,
) -> ReproduceSummary:
    """Run the main job into ``out_dir``; return the summary (also written to ``out_dir/summary.json``).

    Parameters
    ----------
    out_dir : path
        Output directory (created if missing): ``STEP.json`` per step, ``latex/``, ``figures/``
        and ``summary.json``.
    sst : path, optional
        SST data directory (default :data:`DEFAULT_SST`); without it the SST step is skipped.
    steps : sequence of str, optional
        Run only these steps (names from :data:`STEPS`), in the order of :data:`STEPS`.
    progress : callable, optional
        Called with each :class:`StepRecord` as soon as its step has finished (or was skipped).

    Returns
    -------
    ReproduceSummary

    Raises
    ------
    InvalidArgument
        An unknown step name, or an output directory that cannot be created.
    """
    from ._io import atomic_write_json, ensure_dir, sweep_stale_temps

    known = [s.name for s in STEPS]
    unknown = [n for n in steps or () if n not in known]
    if unknown:
        raise InvalidArgument(f"unknown step(s) {', '.join(map(repr, unknown))}; expected some of: {', '.join(known)}")
    directory = ensure_dir(out_dir)
    sst_dir = Path(sst) if sst is not None else DEFAULT_SST
    run_id = new_run_id()
    for sub in (directory, directory / "latex", directory / "figures"):
        sweep_stale_temps(sub)  # temporary files of a killed earlier run
    # a killed run must never leave an `ok` summary beside its partial output: the old summary is
    # replaced first by one that says this run is in progress (ok: false)
    atomic_write_json(directory / "summary.json", running_summary(str(directory), run_id))
    manifest = load_manifest(directory)
    records: list[StepRecord] = []
    for step in STEPS:
        if steps is not None and step.name not in steps:
            continue
        record = _run_step(step, directory, sst_dir)
        records.append(record)
        record_files(manifest, record.files, directory, run_id, step.name)  # updated as each step finishes
        atomic_write_json(directory / MANIFEST, {"files": manifest, "last_run_id": run_id})
        if progress is not None:
            progress(record)
    summary = ReproduceSummary(str(directory), tuple(records), run_id)
    atomic_write_json(directory / "summary.json", summary.as_dict())
    return summary
