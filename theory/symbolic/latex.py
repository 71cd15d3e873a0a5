"""LaTeX rendering of derivations: a standalone amsmath document per theorem.

Uses SymPy's LaTeX printer (``symbol_names`` for readable subscripts); each chain becomes an
``align*`` environment with one justification per row, set as a right-hand tag (amsmath moves
a tag below its row when the row is too wide).  Long formulas are broken at their top-level
``+``/``-`` (:mod:`theory.symbolic._texbreak`); unevaluated sums are printed in the order they
were built, so a grouped cancellation reads as written.  Plain-text assumptions and
justifications have their maths fragments typeset as maths.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ._texbreak import break_expr, prose, visible_width
from .allsizes import pretty_indices
from .derivation import Chain, Derivation, Tex, evaluated

__all__ = ["dot_latex", "latex_expr", "render_latex", "symbol_latex"]

_INDEXED = re.compile(r"^([A-Za-z]+?)([b]?)(\d+)(?:_(\d+))?$")
_INDEXED_NAMES = {
    "vm": "v_m",
    "bbar": r"\bar b",
    "_dot_z": r"\dot z",
    "_dot_v": r"\dot v",
    "_dphi": r"\phi'",
    "_b": "b",
}
_GREEK = {"eta_w": r"\eta_w", "eta_z": r"\eta_z", "eta": r"\eta", "s_0": "s_0", "s_t": "s_t"}


def symbol_latex(s: sp.Symbol) -> str:
    """LaTeX for the toolkit's symbol names: ``v1_2`` -> ``v_{1,2}``, ``zb3`` -> ``\\tilde z_{3}``."""
    name = s.name
    if name in _GREEK:
        return _GREEK[name]
    if name.startswith("_"):
        return name.lstrip("_")
    if name.startswith("eps_"):
        return r"\varepsilon_{" + ",".join(name.split("_")[1:]) + "}"
    if name.startswith("bbar"):
        return r"\bar b_{" + name[4:] + "}"
    m = _INDEXED.match(name)
    many = re.match(r"^([A-Za-z]+)(\d+(?:_\d+){2,})$", name)
    if many:
        return f"{many.group(1)}_{{{many.group(2).replace('_', ',')}}}"
    if not m:
        return sp.latex(s)
    base, tag, i, j = m.groups()
    idx = f"{i},{j}" if j else i
    head, sub = {"vm": ("v", "m,"), "kt": ("k", "t,"), "wt": ("w", "t,"), "eps": (r"\varepsilon", "")}.get(
        base, (base, "")
    )
    if tag:
        head = rf"\tilde {head}"
    return f"{head}_{{{sub}{idx}}}"


def latex_expr(expr: sp.Expr | str, names: dict | None = None) -> str:
    """LaTeX of an expression with the toolkit's symbol names.

    An expression holding unevaluated parts (:class:`sympy.UnevaluatedExpr`, ``evaluate=False``)
    is printed in the order it was built.
    """
    if isinstance(expr, str):
        return expr
    expr = sp.sympify(expr)
    table = {s: symbol_latex(s) for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    for base in expr.atoms(sp.IndexedBase) | {a.base for a in expr.atoms(sp.Indexed)}:
        label = base.label
        table[label] = (names or {}).get(base) or _INDEXED_NAMES.get(label.name) or symbol_latex(label)
    if names:
        table.update({k: v for k, v in names.items() if isinstance(k, sp.Symbol)})
    built = expr.has(sp.UnevaluatedExpr) or evaluated(expr) != expr
    settings = {"symbol_names": table, "order": "none" if built else None}
    out = _Printer(settings).doprint(expr)
    return out.replace(r"\operatorname{dphi}", r"\phi'")


def dot_latex(s: sp.Symbol) -> str:
    """:math:`\\dot\\theta` for a state symbol: ``v1_2`` -> ``\\dot{v}_{1,2}``."""
    head, _, sub = symbol_latex(s).partition("_")
    return rf"\dot{{{head}}}_{sub}" if sub else rf"\dot{{{head}}}"


class _Printer(LatexPrinter):
    """SymPy's printer, with a substituted (unevaluated) expression shown in brackets."""

    def _print_UnevaluatedExpr(self, expr: sp.UnevaluatedExpr) -> str:
        inner = self._print(expr.args[0])
        return inner if expr.args[0].is_Atom or isinstance(expr.args[0], sp.Indexed) else rf"\left({inner}\right)"

    def _print_Mul(self, expr: sp.Mul) -> str:
        dens = [
            f for f in expr.args if isinstance(f, sp.Pow) and f.exp == -1 and isinstance(f.base, sp.UnevaluatedExpr)
        ]
        if not dens:
            return super()._print_Mul(expr)
        nums = [f for f in expr.args if f not in dens]
        num = nums[0].args[0] if len(nums) == 1 and isinstance(nums[0], sp.UnevaluatedExpr) else sp.Mul(*nums)
        den = sp.Mul(*(f.base.args[0] for f in dens))
        return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        heads = "".join(
            rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} " for var, lo, hi in expr.limits
        )
        body = self._print(expr.function)
        return heads + (rf"\left({body}\right)" if isinstance(expr.function, sp.Add) else body)


_TEXT_ESCAPES = {
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\textasciitilde{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def _text(s: str) -> str:
    """Escape plain text for LaTeX (every special character of the text mode)."""
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in s)


def _prose(s: str) -> str:
    """A :class:`~theory.symbolic.derivation.Tex` string as written; plain text with its maths typeset."""
    return str(s) if isinstance(s, Tex) else prose(s, _text)


#: Visible characters of formula per line (A4, 2 cm margins, 11 pt).
WIDTH = 62
SAMPLED = "checked only at random points (evidence, not a proof)"


def _row(head: str, lines: list[str], why: str) -> str:
    """One row ``head line_1 \\\\ & line_2 ...`` with its justification as a tag on the last line."""
    out = [f"  {head}{lines[0]}"] + [rf"  &\qquad {ln}" for ln in lines[1:]]
    out[-1] += rf" \tag*{{\small {why}}}" if why else r" \notag"
    return " \\\\\n".join(out)


def _align(rows: list[str]) -> list[str]:
    return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]


def _chain(chain: Chain, names: dict) -> list[str]:
    lhs = latex_expr(chain.lhs, names)
    room = WIDTH - min(visible_width(lhs), WIDTH / 3)

    def show(e: sp.Expr) -> list[str]:
        return break_expr(e, lambda x: latex_expr(x, names), room)

    def why(text: str, method: str) -> str:
        return _prose(text) + (f" [{SAMPLED}]" if method == "sampled" else "")

    rows = [_row(f"{lhs} &{chain.relation} ", show(chain.start), why(chain.start_why, chain.start_method))]
    rows += [_row("&= ", show(step.expr), why(step.why, step.method)) for step in chain.steps]
    out = _align(rows)
    out += [r"\noindent\emph{Remark.} " + _prose(r) + r"\par" for r in chain.remarks]
    return out


def render_latex(d: Derivation) -> str:
    """Render a :class:`~theory.symbolic.derivation.Derivation` as a standalone LaTeX document.

    The output compiles with ``pdflatex`` from Debian's texlive-latex-base (amsmath,
    geometry, lmodern, T1 fonts).
    """
    lines = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[a4paper,margin=2cm]{geometry}",
        r"\allowdisplaybreaks",
        r"\sloppy",
        r"\begin{document}",
        rf"\section*{{{_prose(d.title)}}}",
        r"\paragraph{Statement.} " + d.statement,
    ]
    if d.source:
        lines.append(r"\paragraph{Source.} " + _text(d.source))
    if d.notation:
        lines.append(r"\paragraph{Notation.} " + d.notation)
    if d.assumptions:
        lines.append(r"\paragraph{Assumptions.}")
        lines.append(r"\begin{itemize}")
        lines += [rf"  \item {_prose(a)}" for a in d.assumptions]
        lines.append(r"\end{itemize}")
    if d.abbreviations:
        lines.append(r"\paragraph{Abbreviations.} Shown in the steps below; every check unfolds them first.")
        rows = []
        for short, meaning in d.abbreviations:
            meaning = d.shown.get(short, meaning)
            if isinstance(meaning, sp.Lambda):
                short, meaning = short[meaning.variables], pretty_indices(meaning.expr)
            shown = break_expr(meaning, lambda x: latex_expr(x, d.symbol_names), WIDTH - 8)
            rows.append(_row(f"{latex_expr(short, d.symbol_names)} &= ", shown, ""))
        lines += _align(rows)
    for n, (intro, chain) in enumerate(d.chains):
        if n in d.sections:
            lines.append(rf"\subsection*{{{d.sections[n]}}}")
        block = _chain(chain, d.symbol_names)
        if not intro and n not in d.sections and lines[-1] == r"\end{align*}":
            lines[-1] = " \\\\"  # a chain without an introduction continues the previous display
            block = block[1:]
        else:
            lines.append(r"\paragraph{} " + intro)  # intros are LaTeX written by the theorem's author
        lines += block
    if d.conclusion:
        lines.append(r"\paragraph{Conclusion.} " + _prose(d.conclusion))
    checked = [m for _, c in d.chains for _, _, m in c.checked]
    n_sampled = checked.count("sampled")
    lines.append(
        r"\paragraph{Verification.} "
        + f"Every equality above was machine-checked by \\texttt{{theory}} ({len(checked)} checked steps: "
        + f"{len(checked) - n_sampled} symbolic, {n_sampled} only at random points"
        + (", each labelled so" if n_sampled else "")
        + ")."
    )
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
