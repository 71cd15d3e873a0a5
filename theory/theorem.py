"""Theorems as records: what a catalogue theorem claims and how each verb runs it.

Role: the *theorems* layer's data type.  A :class:`Theorem` is a frozen record (name, model,
quantity or claim, expected verdict, derivation builder, index-form claim, numeric set-up,
citation); each module of :mod:`theory.derivations` builds one.  The verbs are generic and
read only the record: ``theory prove`` (:func:`theory.catalogue.prove_theorem`), ``theory
check`` (:mod:`theory.checks.catalogue_oracle`) and the LaTeX rendering
(:func:`theory.symbolic.render_latex` of ``record.derivation()``).  Neither the symbolic nor
the numeric layer names a theorem: the symbolic layer receives the record's
:class:`~theory.symbolic.index_proof.IndexClaim`, the checks layer its :class:`NumericSetup`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sympy as sp

from .models import ModelSpec
from .symbolic.derivation import Derivation
from .symbolic.index_proof import IndexClaim

__all__ = ["KINDS", "SETUPS", "NumericSetup", "Outcome", "Theorem"]

#: What a theorem asserts: a conserved quantity, an exact identity, or a closed form.
KINDS = ("invariant", "identity", "closed-form")
#: Numerical set-ups :mod:`theory.checks.catalogue_oracle` knows how to run.
SETUPS = (
    "joma-referee",  # invariant: GD on the independent JoMA NumPy model, projected to the symbolic state
    "lu-referee",  # invariant: GD on the Lu et al. NumPy model; the compiled flow as a cross-check
    "compiled-flow",  # invariant: Euler steps of the compiled symbolic flow (tanh for phi, random data)
    "referee-velocity",  # identity: the claimed right side against the JoMA referee's velocity
    "closed-form-vs-flow",  # closed form v(t), t* against the full flow solved by DOP853
    "first-integral-quadrature",  # G_mu(v(t)) = t along the ODE, G_mu by quadrature
    "derivative-vs-difference",  # a derivative against a central difference within its error bound
    "lu-classifier-flow",  # |q||w_t| along the Lu flow with a trainable classifier vs the closed form
)


@dataclass(frozen=True)
class Outcome:
    """The result of proving one theorem (the JSON contract of ``theory prove``)."""

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
        """Whether the theorem reached its expected verdict."""
        return self.verdict == self.expected

    def as_dict(self) -> dict:
        """JSON-ready dictionary."""
        return asdict(self) | {"ok": self.ok}


@dataclass(frozen=True)
class NumericSetup:
    """How ``theory check`` follows a theorem numerically.

    Attributes
    ----------
    procedure : str
        One of :data:`SETUPS`.
    inputs : Mapping
        What the procedure needs beyond the record's model and quantity: the theorem's own
        expressions (a closed form, the claimed right side, ...) or the side conditions of the
        model (``train_query``, ``frozen_nontopic`` for the Lu et al. referee).
    """

    procedure: str
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.procedure not in SETUPS:
            raise ValueError(f"unknown numeric set-up {self.procedure!r}; expected one of {', '.join(SETUPS)}")


@dataclass(frozen=True, eq=False)
class Theorem:
    """One catalogue theorem (compared and hashed by identity: each record is built once).

    Attributes
    ----------
    name, title, summary : str
        Catalogue name (``joma-exp``), heading, one plain line for ``theory list``.
    statement : str
        The claim in LaTeX.
    expected : {"proved", "refuted", "conditional"}
        The verdict the prover must reach.
    kind : {"invariant", "identity", "closed-form"}
    citation : str
        Where the claim comes from.
    derivation : callable
        ``derivation() -> Derivation``: the checked chain rendered to LaTeX.
    sizes : tuple of dict
        Invariants: the sizes the prover runs at (``model(**sizes)``); identities: the sizes
        their own ``verify`` uses.
    model, quantity, residual : callable or None
        Invariants: ``model(**sizes) -> ModelSpec``, ``quantity(spec)`` and, for a conditional
        invariant, the exact residual ``residual(spec)`` of :math:`\\dot Q`.
    residual_tex : str or None
        The residual in LaTeX (reported with a ``conditional`` verdict).
    verify : callable or None
        Theorems that are not invariants: ``verify() -> Outcome``.
    index_claim : IndexClaim or None
        The claim in index form, proved for symbolic sizes (:func:`theory.symbolic.index_proof.general_proof`).
    arbitrary_loss : bool
        The finite proofs extend to all sizes by the checked separability argument.
    generality : str or None
        A fixed account of which sizes the proof covers (used when nothing is computed).
    numeric : NumericSetup or None
        How ``theory check`` follows it; ``None``: not checked numerically.
    """

    name: str
    title: str
    summary: str
    statement: str
    expected: str
    kind: str
    citation: str
    derivation: Callable[[], Derivation]
    sizes: tuple[Mapping[str, Any], ...] = ()
    model: Callable[..., ModelSpec] | None = None
    quantity: Callable[[ModelSpec], list[sp.Expr]] | None = None
    residual: Callable[[ModelSpec], list[sp.Expr]] | None = None
    residual_tex: str | None = None
    verify: Callable[[], Outcome] | None = None
    index_claim: IndexClaim | None = None
    arbitrary_loss: bool = False
    generality: str | None = None
    numeric: NumericSetup | None = None

    def __post_init__(self) -> None:
        if self.expected not in ("proved", "refuted", "conditional"):
            raise ValueError(f"{self.name}: expected verdict {self.expected!r} is not proved, refuted or conditional")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "invariant" and (self.model is None or self.quantity is None or not self.sizes):
            raise ValueError(f"{self.name}: an invariant needs model, quantity and sizes")
        if self.kind != "invariant" and self.verify is None:
            raise ValueError(f"{self.name}: a theorem that is not an invariant needs verify()")

    def largest_spec(self) -> ModelSpec:
        """The model at the largest listed size (where the numeric checks run)."""
        if self.model is None:
            raise ValueError(f"{self.name} has no model")
        return self.model(**dict(self.sizes[-1]))
