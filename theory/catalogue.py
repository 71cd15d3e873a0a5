"""The theorem catalogue and the ``prove`` verb.

Role: the registry of the *theorems* layer.  :func:`theorems` returns the records that the
modules of :mod:`theory.derivations` build (:class:`~theory.theorem.Theorem`); :func:`get`
finds one by name; :func:`prove_theorem` proves any record, reading only its fields: an
invariant is proved at every listed size, and lifted to every size by its index-form claim
(:func:`theory.symbolic.index_proof.general_proof`) or by the checked separability argument; a
theorem that is not an invariant runs its own ``verify()``.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import sympy as sp

from .derivations import THEOREMS
from .errors import UnknownNameError
from .symbolic.flow import Flow, derive_flow
from .symbolic.index_proof import general_proof
from .symbolic.latex import latex_expr
from .symbolic.prove import Verdict, prove
from .symbolic.separability import separability
from .theorem import Outcome, Theorem

__all__ = ["Outcome", "Theorem", "get", "prove_theorem", "theorems"]


def theorems() -> tuple[Theorem, ...]:
    """Every catalogue theorem, in catalogue order."""
    return THEOREMS


def get(name: str) -> Theorem:
    """The theorem called ``name``."""
    found = {t.name: t for t in THEOREMS}
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


def prove_theorem(theorem: Theorem) -> Outcome:
    """Prove ``theorem`` at all its sizes and combine the verdicts.

    For invariants the verdict must be the same at every size; a size that disagrees is
    reported as the verdict (the first counterexample wins).
    """
    t0 = time.perf_counter()
    if theorem.kind != "invariant":
        assert theorem.verify is not None  # checked by Theorem.__post_init__
        out = theorem.verify()
        return Outcome(**{**asdict(out), "seconds": time.perf_counter() - t0})
    assert theorem.model is not None and theorem.quantity is not None
    results: list[tuple[dict, Verdict]] = []
    checks: list[tuple[Flow, list[sp.Expr]]] = []
    for sizes in theorem.sizes:
        spec = theorem.model(**sizes)
        flow = derive_flow(spec)
        residual = theorem.residual(spec) if theorem.residual is not None else None
        quantities = theorem.quantity(spec)
        results.append((dict(sizes), prove(flow, quantities, residual=residual)))
    # the separability argument is checked once, at the largest size (K, N >= 2 make it meaningful)
    checks.append((flow, quantities))
    verdicts = [v.verdict for _, v in results]
    verdict = next((v for v in ("refuted", "unproven", "conditional") if v in verdicts), "proved")
    first = next((r for r in results if r[1].verdict == verdict), results[0])
    cex = None
    if first[1].counterexample is not None and verdict != "proved":
        cex = {"sizes": first[0], **first[1].counterexample}
    residual_tex = theorem.residual_tex if verdict == "conditional" else None
    if verdict == "refuted" and first[1].derivative:
        comp = cex["component"] if cex else 0
        residual_tex = latex_expr(sp.factor_terms(first[1].derivative[comp]))
    general = ""
    if verdict == theorem.expected and theorem.index_claim is not None:
        ok, how = general_proof(theorem.index_claim)  # index form: symbolic M, K, N
        general = how if ok else ""
    if not general and verdict == "proved" and theorem.arbitrary_loss:
        general = _generality(checks)  # the checked per-(k,n,l) separability argument
    if verdict == "proved" and not general and theorem.generality is not None:
        general = theorem.generality
    method = first[1].method  # symbolic for proved/conditional, exact/certified for refuted, sampled for unproven
    return Outcome(
        name=theorem.name,
        verdict=verdict,
        expected=theorem.expected,
        statement=theorem.statement,
        residual=residual_tex,
        counterexample=cex,
        method=method,
        sizes=_describe_sizes([s for s, _ in results], general),
        seconds=time.perf_counter() - t0,
    )
