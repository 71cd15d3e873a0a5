"""Breaking long formulas across lines, and plain text with maths fragments typeset as maths.

Role: keep every rendered equation inside the page.  :func:`visible_width` estimates the
printed width of a LaTeX formula (in characters of body text); :func:`break_expr` splits a
SymPy expression at its top-level ``+``/``-`` (and inside a long bracketed factor) into lines
that fit; :func:`prose` turns a plain-text sentence such as ``"frequencies positive (x_l > 0)"``
into LaTeX text whose formulas are in ``$...$``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy as sp

__all__ = ["break_expr", "prose", "visible_width"]

_CMD = re.compile(r"\\([A-Za-z]+|.)")
_SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "limits", "displaystyle", "operatorname", "mathbb", "mathrm"}
_SPACES = {",": 0.2, ";": 0.3, "quad": 1.0, "qquad": 2.0, "!": 0.0, " ": 0.3}


def _group(s: str, i: int) -> tuple[str, int]:
    """The brace group starting at ``s[i] == '{'`` (content, index after it); else one token."""
    if i >= len(s):
        return "", i
    if s[i] != "{":
        m = _CMD.match(s, i)
        return (m.group(0), m.end()) if m else (s[i], i + 1)
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1 : j], j + 1
    return s[i + 1 :], len(s)


def visible_width(tex: str) -> float:
    """Rough printed width of a formula, in characters (fractions count their wider part,
    scripts count 0.7, spacing commands their width, ``\\left``/``\\right`` nothing)."""
    width, i = 0.0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            m = _CMD.match(tex, i)
            assert m is not None
            name, i = m.group(1), m.end()
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                width += max(visible_width(num), visible_width(den)) * (0.7 if name == "tfrac" else 1.0) + 0.4
            elif name == "sqrt":
                arg, i = _group(tex, i)
                width += visible_width(arg) + 1.0
            elif name in ("text", "textit", "texttt", "mathrm", "operatorname"):
                arg, i = _group(tex, i)
                width += len(arg) * 0.9
            elif name in _SPACES:
                width += _SPACES[name]
            elif name in ("left", "right", "Big", "big"):
                width += 1.2  # the delimiter that follows
                i += 1
            elif name in _SKIP or name in ("dot", "tilde", "bar", "hat", "vec", "mathbb"):
                continue
            else:
                width += 1.0
        elif ch in "_^":
            arg, i = _group(tex, i + 1)
            width += 0.7 * visible_width(arg)
        elif ch in "{}&":
            i += 1
        elif ch in "+-=<>":
            width += 1.6
            i += 1
        elif ch == " ":
            i += 1
        else:
            width += 1.0
            i += 1
    return width


def _signed(term_tex: str, negative: bool, first: bool) -> str:
    if first:
        return f"- {term_tex}" if negative else term_tex
    return f"- {term_tex}" if negative else f"+ {term_tex}"


def _ordered(expr: sp.Expr) -> list[sp.Expr]:
    """Terms of a sum in printing order (as built, if the sum is unevaluated)."""
    return list(expr.args) if not _is_evaluated(expr) else expr.as_ordered_terms()


def _negative(t: sp.Expr) -> bool:
    return t.could_extract_minus_sign() and not isinstance(t, sp.Add)


def _negate(t: sp.Expr) -> sp.Expr:
    """``-t`` without evaluating an unevaluated product."""
    if isinstance(t, sp.Mul) and t.args and t.args[0] == -1:
        return sp.Mul(*t.args[1:], evaluate=False) if len(t.args) > 2 else t.args[1]
    return -t


def _terms(expr: sp.Expr, printer: Callable[[sp.Expr], str]) -> list[tuple[str, bool]]:
    """Top-level terms of a sum as ``(LaTeX of |term|, negative)``, in printing order."""
    out = []
    for t in _ordered(expr):
        neg = _negative(t)
        tex = printer(_negate(t) if neg else t)
        out.append((rf"\left({tex}\right)" if isinstance(t, sp.Add) else tex, neg))
    return out


def _is_evaluated(e: sp.Expr) -> bool:
    from .derivation import evaluated

    return not e.has(sp.UnevaluatedExpr) and evaluated(e) == e


def break_expr(expr: sp.Expr, printer: Callable[[sp.Expr], str], width: float) -> list[str]:
    """Split ``expr`` into LaTeX lines of at most ``width`` visible characters where possible.

    Sums break between terms; a term that is a product with a long bracketed sum (or a
    fraction with a long numerator) is opened as ``c\\,\\Big(\\dots`` and continued on the next
    lines.  Lines after the first start with their sign.
    """
    whole = printer(expr)
    if visible_width(whole) <= width:
        return [whole]
    if isinstance(expr, sp.Add):
        pieces: list[str] = []
        for n, (tex, neg) in enumerate(_terms(expr, printer)):
            if visible_width(tex) > width:
                sub = _break_product(_unsigned(expr, n), printer, width)
                sub[0] = _signed(sub[0], neg, n == 0 and not pieces)
                pieces += sub
            else:
                pieces.append(_signed(tex, neg, n == 0 and not pieces))
        return _pack(pieces, width)
    return _break_product(expr, printer, width)


def _unsigned(expr: sp.Expr, n: int) -> sp.Expr:
    t = _ordered(expr)[n]
    return _negate(t) if _negative(t) else t


def _break_product(expr: sp.Expr, printer: Callable[[sp.Expr], str], width: float) -> list[str]:
    """``c * (long sum)`` or ``(long sum) / d`` -> ``c \\Big( t1 + ...`` over several lines."""
    num, den = sp.fraction(expr) if _is_evaluated(expr) else (expr, sp.Integer(1))
    factors = sp.Mul.make_args(num)
    long = [f for f in factors if isinstance(f, (sp.Add, sp.UnevaluatedExpr)) and visible_width(printer(f)) > width / 2]
    if not long:
        return [printer(expr)]
    inner = max(long, key=lambda f: visible_width(printer(f)))
    rest = sp.Mul(*(f for f in factors if f is not inner)) / den
    bare = rest.args[0] if isinstance(rest, sp.UnevaluatedExpr) else rest
    # a sum as the factor needs its brackets: (a + 1) (long sum), never a + 1 (long sum)
    factor = rf"\left({printer(rest)}\right)" if isinstance(bare, sp.Add) else printer(rest)
    head = "" if rest == 1 else (r"-" if rest == -1 else factor + r"\,")
    body = inner.args[0] if isinstance(inner, sp.UnevaluatedExpr) else inner
    room = width - visible_width(head) - 2
    lines = break_expr(body, printer, room)
    if len(lines) == 1:
        return [head + r"\left(" + lines[0] + r"\right)"]
    return [head + r"\Big(" + lines[0], *lines[1:-1], lines[-1] + r"\Big)"]


def _pack(pieces: list[str], width: float) -> list[str]:
    """Greedily join signed pieces into lines of at most ``width``."""
    lines: list[str] = []
    for p in pieces:
        if lines and visible_width(lines[-1]) + visible_width(p) <= width:
            lines[-1] = f"{lines[-1]} {p}"
        else:
            lines.append(p)
    return lines


# ---------------------------------------------------------------- plain text with maths

_GREEK = (
    "alpha beta gamma delta epsilon eps zeta eta theta kappa lambda mu nu xi pi rho sigma tau phi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega"
).split()
_FUNCS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh"}
_OPNAMES = ("erfinv", "erf", "sqrt", "span", "diag")
_MATHCHARS = set("_^=<>+*/|[]")
_WORD = re.compile(r"[A-Za-z]+")


def _is_math(token: str) -> bool:
    core = token.strip(",;:.")
    if not core:
        return False
    if core in ("-", "->", "o", "oo"):
        return True
    if any(ch in _MATHCHARS for ch in core):
        return True
    if re.fullmatch(r"\(?[A-Za-z]\([A-Za-z0-9]\)\)?", core):  # v(t), s(0)
        return True
    bare = core.strip("()")
    if not bare:
        return False
    if bare in _GREEK or (re.fullmatch(r"[A-Za-z]", bare) and bare not in ("a", "A")):
        return True
    if re.fullmatch(r"\d+(\.\d+)?", bare):
        return True
    head = _WORD.match(bare)
    return bool(head and "(" in core and (head.group(0) in _FUNCS or head.group(0) in _OPNAMES))


def _math_of(run: str) -> str:
    """A run of maths words as LaTeX maths."""
    out = re.sub(r"\boo\b", r"\\infty", run.replace("->", r"\to "))
    out = re.sub(r"\^T\b", r"^\\top", out)
    out = re.sub(r"\bE\[", r"\\mathbb{E}[", out)

    def word(m: re.Match) -> str:
        w = m.group(0)
        if w in _GREEK:
            return r"\varepsilon" if w in ("eps", "epsilon") else "\\" + w
        if w in _FUNCS:
            return _FUNCS[w]
        if w in _OPNAMES:
            return rf"\operatorname{{{w}}}"
        return w if len(w) == 1 else rf"\mathrm{{{w}}}"

    out = re.sub(r"(?<![A-Za-z\\])[A-Za-z]+(?![A-Za-z])", word, out)
    out = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", out)
    out = re.sub(r"(?<=\w) o (?=\w)", r" \\circ ", out)
    out = re.sub(r"(?<=\w)\*(?=\w)", r"\\,", out)
    return out.replace("|", r"\,|\,")


def _balance(joined: str) -> tuple[str, str, str]:
    """Split a maths run into (leading text brackets, formula, trailing punctuation)."""
    lead = re.match(r"^[(]*", joined).group(0)  # type: ignore[union-attr]
    trail = re.search(r"[),;:.]*$", joined).group(0)  # type: ignore[union-attr]
    core = joined[len(lead) : len(joined) - len(trail)]
    depth = low = 0
    for ch in core:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        low = min(low, depth)
    need_open = min(-low, len(lead))
    core, lead = "(" * need_open + core, lead[: len(lead) - need_open]
    depth += need_open
    closers = len(trail) - len(trail.lstrip(")"))
    take = min(max(depth, 0), closers)
    return lead, core + ")" * take, trail[take:]


def prose(text: str, escape: Callable[[str], str]) -> str:
    """Plain text -> LaTeX text with its maths fragments in ``$...$`` (the rest escaped).

    >>> prose("positive (x_l > 0)", lambda s: s)
    'positive ($x_l > 0$)'
    """
    tokens = text.split(" ")
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        lead, core, trail = _balance(" ".join(run))
        out.append(f"{escape(lead)}${_math_of(core)}${escape(trail)}" if core else escape(" ".join(run)))
        run.clear()

    for tok in tokens:
        if run and tok.startswith("(") and _is_math(tok):
            flush()
        if _is_math(tok):
            run.append(tok)
        else:
            flush()
            out.append(escape(tok))
    flush()
    return " ".join(out)
