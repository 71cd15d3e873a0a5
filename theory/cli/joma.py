"""CLI: ``theory figure NAME --out DIR [--quick] [--json]`` (JoMA figures, issue 4).

No logic here: parse, call :func:`theory.dynamics.figure_registry.render_figure`, print.  The
figure names come from the registry at run time, so other modules may register figures of
their own (``register_figure``) without editing this file.
"""

from __future__ import annotations

import argparse

from ._output import Result, add_json_flag

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``figure``."""
    # The figure modules load SciPy and friends (~1 s); they are imported when a figure runs, not here,
    # so that every other command starts fast.  An unknown name lists every registered figure.
    names = "joma-invariant, joma-entropy, joma-linear, joma-components, joma-full, joma-realtext"
    p = sub.add_parser(
        "figure",
        help="compute a figure's numbers (JSON) and draw it (PNG + PDF with matplotlib)",
        description=f"Compute and draw one figure. Names: {names} (and any registered later). "
        "Writes NAME.json always (the numbers and every curve drawn), NAME.png and NAME.pdf "
        "(drawn from that JSON) when matplotlib is installed.",
    )
    p.add_argument("name", help="figure name, e.g. joma-invariant")
    p.add_argument("--out", default="figs", help="output directory, created if missing (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="smaller run (for smoke tests)")
    p.add_argument("--data", default=None, help="data directory for figures that read data (joma-realtext: SST)")
    p.add_argument(
        "--setting",
        default=None,
        help="set-up of figures that have several (joma-entropy, joma-invariant): 'paper' "
        "(the published code's, the default when omitted) or 'toolkit'",
    )
    add_json_flag(p)
    p.set_defaults(run=_run_figure)


def _run_figure(args: argparse.Namespace) -> Result:
    from ..dynamics import figures  # noqa: F401 - registers the JoMA figures
    from ..dynamics.figure_registry import render_figure

    rendered = render_figure(args.name, args.out, quick=args.quick, data=args.data, setting=args.setting)
    return Result(data=rendered.as_dict(), text=rendered.text, ok=rendered.ok, notes=rendered.notes)
