"""``theory check`` over catalogue entries: the command's data and its text rendering.

Role: the library behind ``theory check NAME...`` / ``--all`` (re-exported by
:mod:`theory.commands`).  It lives in the checks layer, and imports neither the theorem
records nor SymPy: each entry is a :class:`~theory.checks._entry.Entry` whose compile plan
(:mod:`theory.numeric.plan`) holds every symbolic result of its check, so a warm run (plans
cached on disk) does numerics only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

__all__ = ["check_entries", "format_checks"]


def check_entries(names: Sequence[str] | None, *, seed: int = 0, starts: int = 2) -> dict:
    """Check the named catalogue entries numerically (all if ``None``): the data of ``theory check``.

    Parameters
    ----------
    names : sequence of str or None
        Catalogue names; ``None`` checks every entry.
    seed : int
        Seed of the data and the random starts.
    starts : int
        Random starts per invariant.

    Returns
    -------
    dict
        ``{"ok": bool, "entries": [row, ...]}``, one JSON-ready row per entry
        (:meth:`theory.checks.catalogue_oracle.CheckResult.as_dict`); ``ok`` is whether every
        entry behaved as expected.
    """
    from .._budget import handed_over, reserve, time_limit
    from .._progress import progress
    from ..errors import TimeBudgetExceeded
    from ._entry import Entry, catalogue_names

    chosen = [Entry.named(n) for n in (catalogue_names() if names is None else names)]
    if len(chosen) == 1:
        from .catalogue_oracle import check_starts

        results = [check_starts(chosen[0], starts=starts, seed=seed)]
        return {"ok": all(r.ok for r in results), "entries": [r.as_dict() for r in results]}
    results = []
    # the command's time budget is shared out: an entry past what is left becomes a `timeout` row;
    # the oracle's imports (NumPy, SciPy) count against it too, so a budget they use up gives timeout
    # rows for every entry rather than stopping the command
    with handed_over() as left:
        deadline = time.monotonic() + left - reserve(left)
        from .catalogue_oracle import CheckResult, check_starts  # NumPy/SciPy oracle: loaded only when checking

        for t in progress(chosen, desc="check", unit="theorem"):
            t0 = time.perf_counter()
            try:
                with time_limit(max(deadline - time.monotonic(), 1e-3), f"checking {t.name}"):
                    results.append(check_starts(t, starts=starts, seed=seed))
            except TimeBudgetExceeded:
                note = "stopped: the time budget ran out during this check; raise it with --max-seconds"
                results.append(
                    CheckResult(
                        t.name, t.kind, t.expected, "timeout", False, note=note, seconds=time.perf_counter() - t0
                    )
                )
                t.plan.save()  # what was built before the budget ran out is kept
    return {"ok": all(r.ok for r in results), "entries": [r.as_dict() for r in results]}


def _fmt(v: float | None, spec: str = ".3g") -> str:
    return "-" if v is None else format(v, spec)


def format_checks(data: dict) -> str:
    """Human rendering of :func:`check_entries`: one line per entry plus starts, residual and details."""
    entries = data["entries"]
    lines = [f"{'entry':28} {'expected':12} {'observed':28} {'slope':>6} {'ODE drift':>9} {'GD->ODE':>7}  ok"]
    for r in entries:
        lines.append(
            f"{r['name']:28} {r['expected']:12} {r['observed']:28} {_fmt(r['slope'], '.2f'):>6} "
            f"{_fmt(r['ode_drift'], '.1e'):>9} {_fmt(r['gd_to_ode_slope'], '.2f'):>7}  {'yes' if r['ok'] else 'NO'}"
        )
        if len(r["starts"]) > 1:
            slopes = ", ".join(_fmt(st["slope"], ".3f") for st in r["starts"])
            lines.append(f"{'':28} slopes over {len(r['starts'])} random starts: {slopes}")
        if r["residual"]:
            res = r["residual"]
            lines.append(
                f"{'':28} residual: raw ODE drift {res['raw_ode_drift']:.3g}, "
                f"int|R| {res['violation_integral']:.3g}, corrected {res['corrected_ode_drift']:.1e}"
            )
        if "; " in r.get("compile_cache", ""):  # a damaged cache record was recomputed: say so
            lines.append(f"{'':28} compile cache: {r['compile_cache']}")
        if r["details"]:
            shown = ", ".join(f"{k} {v:.3g}" for k, v in r["details"].items() if isinstance(v, float))
            lines.append(f"{'':28} {shown}")
    lines.append(f"{sum(bool(r['ok']) for r in entries)}/{len(entries)} as expected")
    return "\n".join(lines)
