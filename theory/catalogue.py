"""The theorem catalogue: one module per theorem in the ``derivations`` package.

Each module defines ``NAME``, ``TITLE``, ``SUMMARY`` (one plain line), ``STATEMENT`` (LaTeX),
``EXPECTED`` (``proved`` | ``refuted`` | ``conditional``), ``KIND`` and
``derivation() -> Derivation`` (the checked chain rendered to LaTeX).  Invariant theorems
(``KIND = "invariant"``) add ``SIZES``, ``model(**sizes)``, ``quantity(spec)`` and optionally
``residual(spec)`` / ``RESIDUAL`` (LaTeX); the prover runs at every size.  Other theorems
define ``verify() -> Outcome`` themselves.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import asdict, dataclass
from types import ModuleType

import sympy as sp

from .errors import UnknownNameError
from .symbolic.derivation import Derivation
from .symbolic.flow import Flow, derive_flow
from .symbolic.general import general_proof
from .symbolic.generality import separability
from .symbolic.latex import latex_expr
from .symbolic.prove import Verdict, prove

__all__ = ["Entry", "Outcome", "entries", "get", "run_entry"]


@dataclass(frozen=True)
class Outcome:
    """The result of proving one catalogue entry (the JSON contract of ``theory prove``)."""

    name: str
    verdict: str
    expected: str
    statement: str
    residual: str | None
    counterexample: dict | None
    method: str
    sizes: str
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the entry reached its expected verdict."""
        return self.verdict == self.expected

    def as_dict(self) -> dict:
        """JSON-ready dictionary."""
        return asdict(self) | {"ok": self.ok}


@dataclass(frozen=True)
class Entry:
    """A catalogue theorem backed by a module of the ``derivations`` package."""

    module: ModuleType

    @property
    def name(self) -> str:
        return self.module.NAME

    @property
    def title(self) -> str:
        return self.module.TITLE

    @property
    def summary(self) -> str:
        return self.module.SUMMARY

    @property
    def statement(self) -> str:
        return self.module.STATEMENT

    @property
    def expected(self) -> str:
        return self.module.EXPECTED

    @property
    def kind(self) -> str:
        return self.module.KIND

    def derivation(self) -> Derivation:
        """The machine-checked derivation (steps verified as they are built)."""
        return self.module.derivation()

    def run(self) -> Outcome:
        """Prove the entry: see :func:`run_entry`."""
        return run_entry(self)


def entries() -> list[Entry]:
    """Every catalogue entry, in catalogue order."""
    import derivations

    return [Entry(importlib.import_module(f"derivations.{m}")) for m in derivations.CATALOGUE]


def get(name: str) -> Entry:
    """The entry called ``name``."""
    found = {e.name: e for e in entries()}
    if name not in found:
        raise UnknownNameError(f"unknown theorem {name!r}; run `theory list` to see the catalogue")
    return found[name]


def _describe_sizes(sizes: list[dict], general: str) -> str:
    keys = list(sizes[0])
    parts = []
    for k in keys:
        values = [s[k] for s in sizes]
        if all(isinstance(v, int) for v in values):
            parts.append(f"{k}<={max(values)}")
        else:
            parts.append(f"{k} in {{{', '.join(sorted({str(v or 'arbitrary') for v in values}))}}}")
    text = f"{', '.join(parts)} ({len(sizes)} size combinations)"
    return f"{text}; {general}" if general else text


def _generality(checks: list[tuple[Flow, list[sp.Expr]]]) -> str:
    """Which sizes the finite proofs extend to, by the checked separability argument."""
    nodes = tokens = True
    for flow, quantities in checks:
        for i, q in enumerate(quantities):
            sep = separability(flow, q, i + 1)
            nodes &= sep["nodes_samples"]
            tokens &= sep["tokens"]
    if tokens:
        return "all M, K, N by per-(k,n,l) separability (checked on the derivative)"
    if nodes:
        return "all K, N by per-(k,n) separability (checked on the derivative); M as listed"
    return ""


def run_entry(entry: Entry) -> Outcome:
    """Prove ``entry`` at all its sizes and combine the verdicts.

    For invariants the verdict must be the same at every size; a size that disagrees is
    reported as the verdict (the first counterexample wins).
    """
    mod = entry.module
    t0 = time.perf_counter()
    if entry.kind != "invariant":
        out = mod.verify()
        return Outcome(**{**asdict(out), "seconds": time.perf_counter() - t0})
    results: list[tuple[dict, Verdict]] = []
    checks: list[tuple[Flow, list[sp.Expr]]] = []
    for sizes in mod.SIZES:
        spec = mod.model(**sizes)
        flow = derive_flow(spec)
        residual = mod.residual(spec) if hasattr(mod, "residual") else None
        quantities = mod.quantity(spec)
        results.append((sizes, prove(flow, quantities, residual=residual)))
    # the separability argument is checked once, at the largest size (K, N >= 2 make it meaningful)
    checks.append((flow, quantities))
    verdicts = [v.verdict for _, v in results]
    verdict = next((v for v in ("refuted", "unproven", "conditional") if v in verdicts), "proved")
    first = next((r for r in results if r[1].verdict == verdict), results[0])
    cex = None
    if first[1].counterexample is not None and verdict != "proved":
        cex = {"sizes": first[0], **first[1].counterexample}
    residual_tex = getattr(mod, "RESIDUAL", None) if verdict == "conditional" else None
    if verdict == "refuted" and first[1].derivative:
        comp = cex["component"] if cex else 0
        residual_tex = latex_expr(sp.factor_terms(first[1].derivative[comp]))
    general = ""
    if verdict == entry.expected and getattr(mod, "GENERAL_PROOF", False):
        ok, how = general_proof(entry.name)  # index form: symbolic M, K, N
        general = how if ok else ""
    if not general and verdict == "proved" and getattr(mod, "ARBITRARY_LOSS", False):
        general = _generality(checks)  # the checked per-(k,n,l) separability argument
    general = getattr(mod, "GENERALITY", general) if verdict == "proved" and not general else general
    method = first[1].method  # symbolic for proved/conditional, exact/certified for refuted, sampled for unproven
    return Outcome(
        name=entry.name,
        verdict=verdict,
        expected=entry.expected,
        statement=entry.statement,
        residual=residual_tex,
        counterexample=cex,
        method=method,
        sizes=_describe_sizes([s for s, _ in results], general),
        seconds=time.perf_counter() - t0,
    )
