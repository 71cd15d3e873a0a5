"""The library behind ``theory list``, ``show``, ``prove`` and ``check``.

Each function does the work of one command (list the catalogue, describe a model, prove
catalogue theorems or a user's quantity, check the catalogue numerically, write LaTeX files)
and returns JSON-ready data; the ``format_*`` functions render it as text.  The CLI only
parses arguments and prints what these return.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from pathlib import Path

from .catalogue import get, prove_theorem, theorems
from .checks.catalogue_run import check_entries, format_checks
from .cli._output import format_table
from .errors import TimeBudgetExceeded
from .models.registry import MODELS, build_model
from .symbolic import derive_flow, prove, render_latex
from .symbolic.latex import latex_expr
from .symbolic.parse import accepted_names, parse_quantity

__all__ = [
    "catalogue_rows",
    "check_entries",
    "describe_model",
    "format_checks",
    "format_model",
    "format_outcomes",
    "format_table",
    "model_rows",
    "prove_entries",
    "prove_user_quantity",
]


def catalogue_rows() -> list[dict]:
    """One row per catalogue theorem: name, kind, expected verdict, one-line summary."""
    return [{"name": t.name, "kind": t.kind, "expected": t.expected, "summary": t.summary} for t in theorems()]


def _prove_one(name: str, latex: bool, seconds: float | None = None) -> tuple[dict, str | None]:
    """One entry's outcome row (and LaTeX), or a ``timeout`` row when it runs past ``seconds``."""
    from . import _budget

    theorem = get(name)
    t0 = time.perf_counter()
    try:
        with _budget.time_limit(seconds, f"proving {name}"):
            return prove_theorem(theorem).as_dict(), (render_latex(theorem.derivation()) if latex else None)
    except TimeBudgetExceeded:
        row = {
            "name": name,
            "verdict": "timeout",
            "expected": theorem.expected,
            "statement": theorem.statement,
            "residual": None,
            "counterexample": None,
            "method": "none",
            "sizes": "",
            "seconds": time.perf_counter() - t0,
            "ok": False,
            "note": "stopped: the time budget ran out during this proof; raise it with --max-seconds",
        }
        return row, None


def _worker_signals() -> None:
    """A forked worker drops the CLI's SIGTERM/SIGALRM handlers: ``Pool.terminate`` ends it quietly."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _prove_until(job: tuple[str, bool, float]) -> tuple[str, tuple[dict, str | None]]:
    """:func:`_prove_one` with the time left until ``deadline`` (``time.monotonic``, shared by forked workers)."""
    name, latex, deadline = job
    return name, _prove_one(name, latex, max(deadline - time.monotonic(), 1e-3))


def prove_entries(names: Sequence[str] | None, *, latex_dir: Path | None = None, jobs: int | None = None) -> list[dict]:
    """Prove the named entries (all if ``None``); optionally write their LaTeX derivations.

    Entries are independent, so they run in ``jobs`` worker processes (default: one per CPU
    core).  Every ``.tex`` is rendered before any is written, and each is written atomically.
    """
    from . import _budget
    from ._io import atomic_write_text, ensure_dir  # loads NumPy: not on `theory list`'s path
    from ._progress import Progress

    chosen = [t.name for t in theorems()] if names is None else [get(n).name for n in names]
    latex = latex_dir is not None
    directory = ensure_dir(latex_dir) if latex_dir is not None else None
    workers = min(len(chosen), jobs or os.cpu_count() or 1)
    by_name: dict[str, tuple[dict, str | None]] = {}
    # the command's time budget is shared out here: an entry past what is left becomes a `timeout` row
    with _budget.handed_over() as left, Progress(len(chosen), "prove", unit="theorem") as meter:
        deadline = time.monotonic() + left - _budget.reserve(left)  # the rest: writing and printing the rows
        if workers > 1:
            # multiprocessing's Pool, not concurrent.futures: leaving the block (the time budget,
            # Ctrl-C) terminates the workers at once instead of waiting for their proofs
            jobs_args = [(n, latex, deadline) for n in chosen]
            with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
                for name, row in pool.imap_unordered(_prove_until, jobs_args):
                    by_name[name] = row
                    meter.set(f"{name}: {row[0]['verdict']}")
                    meter.update()
        else:
            for n in chosen:
                by_name[n] = _prove_until((n, latex, deadline))[1]
                meter.set(f"{n}: {by_name[n][0]['verdict']}")
                meter.update()
    results = [by_name[n] for n in chosen]
    if directory is not None:
        for name, (_, text) in zip(chosen, results, strict=True):
            atomic_write_text(directory / f"{name}.tex", text or "")
    return [row for row, _ in results]


def prove_user_quantity(
    model: str, quantities: Sequence[str], *, sizes: str | None = None, latex_dir: Path | None = None
) -> dict:
    """Prove a user's quantity (one or more components) along a named model's flow.

    The text is parsed without executing code (:func:`theory.symbolic.parse.parse_quantity`).
    """
    from ._io import atomic_write_text, ensure_dir

    spec = build_model(model, sizes)
    exprs = [parse_quantity(q, spec.symbols) for q in quantities]
    flow = derive_flow(spec)
    state = set(flow.state)
    verdict = prove(flow, exprs)
    row = {
        "name": "user-quantity",
        "model": model,
        "quantity": [str(e) for e in exprs],
        "verdict": verdict.verdict,
        "expected": None,
        "statement": r"\frac{d}{dt}\left(" + ",\\ ".join(latex_expr(e) for e in exprs) + r"\right) = 0",
        "residual": None
        if verdict.verdict == "proved"
        else latex_expr(verdict.derivative[verdict.counterexample["component"] if verdict.counterexample else 0]),
        "counterexample": verdict.counterexample,
        "method": verdict.method,
        "notes": list(verdict.notes),
        "sizes": ", ".join(f"{k}={v}" for k, v in spec.sizes.items()) + " (this size only)",
        "seconds": verdict.seconds,
        "ok": True,
    }
    if not any(e.free_symbols & state for e in exprs):
        row["note"] = "the quantity involves no state variable, so it is trivially constant"
    if latex_dir is not None:
        # the same kind of page as the catalogue's: flow, substitution, cancellation, conclusion
        atomic_write_text(ensure_dir(latex_dir) / "user-quantity.tex", verdict.latex())
    return row


def model_rows() -> list[dict]:
    """The named models with their default sizes."""
    return [
        {"name": m.name, "sizes": ",".join(f"{k}={v}" for k, v in m.defaults.items()), "description": m.description}
        for m in MODELS.values()
    ]


def describe_model(name: str, sizes: str | None = None) -> dict:
    """Parameters, the names ``--quantity`` accepts, and assumptions of a named model.

    Parameters
    ----------
    name : str
        A model of :data:`theory.models.registry.MODELS`.
    sizes : str or None
        Sizes such as ``"M=3,K=2"`` (defaults for the rest).

    Returns
    -------
    dict
        ``name, description, sizes, parameters, data, constants, aliases, assumptions``,
        ``functions`` and ``quantity_names``: the names ``theory prove --model NAME --quantity``
        accepts, by kind (``symbols`` including aliases, ``functions``, ``constants`` such as
        ``pi``), computed by :func:`theory.symbolic.parse.accepted_names` from the same
        ``spec.symbols`` the parser is given, so the two cannot disagree.
    """
    spec = build_model(name, sizes)
    aliases = spec.extra.get("aliases", {})
    accepted = accepted_names(spec.symbols)
    return {
        "name": name,
        "description": spec.description,
        "sizes": dict(spec.sizes),
        "parameters": [
            {
                "group": g.name,
                "rate": str(g.rate),
                "metric": g.metric is not None,
                "symbols": [s.name for s in g.symbols],
            }
            for g in spec.params
        ],
        "data": [s.name for s in spec.data],
        "constants": [s.name for s in spec.constants],
        "aliases": {k: str(v) for k, v in aliases.items()},
        "assumptions": list(spec.assumptions),
        "functions": accepted["functions"],
        "quantity_names": accepted,
    }


def format_outcomes(rows: list[dict]) -> str:
    """Human rendering of proof outcomes, one line each plus counterexamples."""
    lines = []
    for r in rows:
        mark = "ok  " if r.get("ok", True) else "FAIL"
        exp = f" (expected {r['expected']})" if r.get("expected") and not r.get("ok", True) else ""
        lines.append(
            f"{mark} {r['name']:<28} {r['verdict']:<11}{exp} {r['method']:<9} {r['seconds']:6.2f}s  {r['sizes']}"
        )
        if r.get("counterexample") and r["verdict"] == "refuted":
            cex = r["counterexample"]
            lines.append(f"       counterexample: dQ/dt = {cex.get('value')} at {cex.get('point')}")
        if r.get("note"):
            lines.append(f"       note: {r['note']}")
        lines += [f"       note: {n}" for n in r.get("notes", ())]
    n_ok = sum(1 for r in rows if r.get("ok", True))
    total = sum(r["seconds"] for r in rows)
    lines.append(f"{n_ok}/{len(rows)} as expected in {total:.2f}s")
    return "\n".join(lines)


def format_model(d: dict) -> str:
    """Human rendering of :func:`describe_model`.

    Parameters
    ----------
    d : dict
        The output of :func:`describe_model`.

    Returns
    -------
    str
        Parameters, data, constants, aliases, then the names ``--quantity`` accepts
        (``d["quantity_names"]``, verbatim), then the assumptions.
    """
    lines = [f"{d['name']}: {d['description']}", "parameters:"]
    for g in d["parameters"]:
        metric = ", metric G" if g["metric"] else ""
        lines.append(f"  {g['group']} (rate {g['rate']}{metric}): {' '.join(g['symbols'])}")
    lines.append(f"data: {' '.join(d['data'])}")
    lines.append(f"constants: {' '.join(d['constants'])}")
    if d["aliases"]:
        lines.append("aliases: " + ", ".join(f"{k} = {v}" for k, v in d["aliases"].items()))
    names = d["quantity_names"]
    lines.append("--quantity accepts exactly these names:")
    lines.append(f"  symbols and aliases: {' '.join(names['symbols'])}")
    lines.append(f"  functions (as f(x)): {' '.join(names['functions'])}")
    lines.append(f"  numbers: {' '.join(names['constants'])}")
    lines.append("assumptions:")
    lines += [f"  - {a}" for a in d["assumptions"]]
    return "\n".join(lines)
