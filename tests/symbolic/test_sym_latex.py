"""Golden LaTeX: each committed derivations/<name>.tex equals a fresh rendering, and compiles."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from theory.catalogue import theorems
from theory.symbolic import Chain, Derivation, Step, StepError, render_latex
from theory.symbolic.latex import SAMPLED, latex_expr

DERIVATIONS = Path(__file__).resolve().parents[2] / "derivations"
ENTRIES = theorems()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_committed_tex_matches_fresh_rendering(entry) -> None:
    committed = DERIVATIONS / f"{entry.name}.tex"
    assert committed.exists(), f"run `theory prove --all --latex derivations/` to create {committed.name}"
    assert committed.read_text() == render_latex(entry.derivation())


def _rendered_rows(tex: str) -> list[str]:
    """Rows of every align* display (continuation lines joined to their row)."""
    rows = []
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, re.S):
        for line in block.split(" \\\\\n"):
            if line.lstrip().startswith(r"&\qquad") and rows:
                rows[-1] += " " + line.strip()
            else:
                rows.append(line.strip())
    return rows


def unlabelled_sampled(d: Derivation, tex: str) -> list[str]:
    """Justifications of sampled steps whose row in ``tex`` does not say they were sampled."""
    rows = _rendered_rows(tex)
    missing = []
    for _, c in d.chains:
        for expr, why, method in c.checked:
            if method != "sampled":
                continue
            body = latex_expr(expr, d.symbol_names)
            if not any(body[:40] in r and SAMPLED in r for r in rows):
                missing.append(why)
    return missing


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_step_is_symbolic_or_labelled_sampled(entry) -> None:
    d = entry.derivation()
    assert d.n_steps >= 1
    assert d.methods <= {"symbolic", "sampled"}
    assert unlabelled_sampled(d, render_latex(d)) == []


def test_a_sampled_step_is_labelled_and_a_missing_label_is_caught() -> None:
    x = sp.Symbol("x", positive=True)
    d = Derivation(title="t", statement="s")
    c = d.chain("intro", "y", sp.gamma(x + 1))
    c.steps.append(Step(x * sp.gamma(x), "recurrence", "sampled"))
    tex = render_latex(d)
    assert SAMPLED in tex and unlabelled_sampled(d, tex) == []
    assert unlabelled_sampled(d, tex.replace(SAMPLED, "")) == ["recurrence"]  # negative control


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_no_step_repeats_its_predecessor(entry) -> None:
    d = entry.derivation()
    for _, c in d.chains:
        shown = [c.start] + [s.expr for s in c.steps]
        for a, b in itertools.pairwise(shown):
            assert a != b
            assert latex_expr(a, d.symbol_names) != latex_expr(b, d.symbol_names)


def test_a_repeated_step_is_refused_and_a_remark_is_not_counted() -> None:
    x = sp.Symbol("x", real=True)
    d = Derivation(title="t", statement="s")
    c = d.chain("intro", "f", (x + 1) ** 2).then(x**2 + 2 * x + 1, "expand")
    with pytest.raises(StepError, match="repeats"):
        c.then(x**2 + 2 * x + 1, "the same again")
    c.remark("nothing new")
    assert d.n_steps == 1 and c.remarks == ["nothing new"]


def test_a_false_index_form_step_is_rejected() -> None:
    from theory.symbolic.allsizes import sums_check
    from theory.symbolic.indexed import M

    a, j = sp.IndexedBase("a"), sp.Symbol("j", integer=True)
    assert sums_check(sp.Sum(2 * a[j], (j, 1, M)), 2 * sp.Sum(a[j], (j, 1, M))) == "symbolic"
    with pytest.raises(StepError):
        sums_check(sp.Sum(a[j], (j, 1, M)) ** 2, sp.Sum(a[j] ** 2, (j, 1, M)))


#: A chain that only repeats 0 (what joma-exp.tex printed before the flow was shown).
EMPTY_CHAIN = re.compile(r"&= 0 \\tag\*\{[^}]*\}(?:}|\s)*\\\\\s*&= 0 ")


def shows_the_flow(tex: str) -> bool:
    """The derived flow of v and z is shown, and no chain reads '= 0 = 0'."""
    return r"\dot{v}" in tex and r"\dot{z}" in tex and not EMPTY_CHAIN.search(tex)


INVARIANT_JOMA = [e for e in ENTRIES if e.kind == "invariant" and e.name.startswith("joma")]


@pytest.mark.parametrize("entry", INVARIANT_JOMA, ids=[e.name for e in INVARIANT_JOMA])
def test_invariant_tex_shows_the_derived_flow(entry) -> None:
    tex = (DERIVATIONS / f"{entry.name}.tex").read_text()
    assert shows_the_flow(tex)
    if entry.index_claim is not None:
        assert "All sizes" in tex and r"\sum_{k=1}^{K}" in tex and r"\sum_{n=1}^{N}" in tex


def test_the_flow_detector_rejects_an_empty_chain() -> None:
    old = (
        "\\begin{align*}\n  \\frac{d}{dt}Q &= \\dot{z_{1}} && \\text{chain rule} \\\\\n"
        "  &= 0 \\tag*{\\small substitute} \\\\\n  &= 0 \\tag*{\\small cancel}\n\\end{align*}"
    )
    assert not shows_the_flow(old)  # negative control: no flow shown, and '= 0 = 0'
    assert not shows_the_flow(old.replace("&= 0 \\tag*{\\small substitute}", "&= 1 \\tag*{x}"))  # no flow


def test_a_false_step_is_rejected() -> None:
    x = sp.Symbol("x", real=True)
    c = Chain("f", (x + 1) ** 2)
    c.then(x**2 + 2 * x + 1, "expand")
    with pytest.raises(StepError, match="wrong"):
        c.then(x**2 + 1, "wrong")


def test_rendering_escapes_text_and_typesets_maths() -> None:
    x = sp.Symbol("x", real=True)
    d = Derivation(title="tests & more", statement="$x$", assumptions=["50% of x_1", "positive (x_l > 0)"])
    d.chain("intro", "y", sp.sin(x) ** 2 + sp.cos(x) ** 2).then(sp.Integer(1), "trivial")
    tex = render_latex(d)
    assert r"tests \& more" in tex and r"50\% of $x_1$" in tex
    assert r"positive ($x_l > 0$)" in tex  # maths, not the text-mode glyph of '>'
    assert r"\usepackage[T1]{fontenc}" in tex


def compile_tex(tmp_path: Path, name: str, text: str) -> str:
    """Compile with pdflatex (a missing pdflatex is a failure, not a skip); return the log."""
    if shutil.which("pdflatex") is None:
        pytest.fail("pdflatex is missing: apt-get install texlive-latex-base texlive-latex-extra")
    src = tmp_path / f"{name}.tex"
    src.write_text(text)
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / f"{name}.pdf").exists()
    return (tmp_path / f"{name}.log").read_text(errors="replace")


def overfull(log: str) -> list[str]:
    """The 'Overfull \\hbox' warnings of a pdflatex log."""
    return re.findall(r"Overfull \\hbox \([0-9.]+pt too wide\)[^\n]*", log)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_tex_compiles_without_overfull_boxes(tmp_path: Path, entry) -> None:
    log = compile_tex(tmp_path, entry.name, (DERIVATIONS / f"{entry.name}.tex").read_text())
    assert overfull(log) == []


def test_the_overfull_detector_sees_a_too_long_equation(tmp_path: Path) -> None:
    x = sp.Symbol("x")
    d = Derivation(title="too long", statement="$x$")
    d.chain("A formula that cannot be broken:", "y", sp.Symbol("A" * 300) * x)
    tex = render_latex(d).replace(r"\sloppy", "")
    assert overfull(compile_tex(tmp_path, "long", tex))  # negative control: the detector works


def _user_verdict(text: str):
    from theory.models.registry import build_model
    from theory.symbolic import derive_flow, prove
    from theory.symbolic.parse import parse_quantity

    spec = build_model("joma-exp", None)
    return prove(derive_flow(spec), [parse_quantity(text, spec.symbols)])


@pytest.mark.parametrize(("text", "verdict"), [("z1 - r/(2*T)*v1_1^2", "proved"), ("z1", "refuted")])
def test_verdict_latex_shows_the_flow_and_compiles(tmp_path: Path, text: str, verdict: str) -> None:
    v = _user_verdict(text)
    assert v.verdict == verdict
    tex = v.latex()
    assert r"\dot{z}_{1}" in tex and "substitute the derived flow" in tex
    assert ("cancel" in tex) == (verdict == "proved")
    assert ("Not conserved" in tex) == (verdict == "refuted")
    assert overfull(compile_tex(tmp_path, verdict, tex)) == []


def test_a_broken_product_keeps_the_brackets_of_a_sum_factor() -> None:
    """(a + 1) * (long sum), too wide for one line, opens as \\left(a + 1\\right)\\,\\Big( ...; the
    unbracketed 'a + 1\\,\\Big(' would read as a + (1 * long sum), a different expression."""
    from theory.symbolic._texbreak import break_expr

    a = sp.Symbol("a")
    xs = sp.symbols("x1:13")
    expr = sp.Mul(a + 1, sp.Add(*(x**2 for x in xs)), evaluate=False)
    lines = break_expr(expr, sp.latex, 40)
    assert len(lines) > 1
    assert lines[0].startswith(r"\left(a + 1\right)\,\Big(")
    single = sp.Mul(2 * a, sp.Add(*(x**2 for x in xs)), evaluate=False)  # control: a product needs no brackets
    assert break_expr(single, sp.latex, 40)[0].startswith(r"2 a\,\Big(")
