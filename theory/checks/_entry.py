"""A catalogue entry as the oracle sees it: a name, its compile plan, and the record on demand.

Role: ``theory check`` must not import SymPy when everything symbolic it needs is cached.
The theorem records (:mod:`theory.derivations`) are SymPy objects, so the oracle works on an
:class:`Entry`: the entry's name, a :class:`~theory.numeric.plan.CompilePlan` holding every
symbolic result of its check (header facts, compiled flows and closed forms) and a loader of
the record itself, called only by a builder on a cache miss.

Two kinds of entry: :meth:`Entry.named` (a catalogue name: the plan is cached on disk, keyed
by the name and the toolkit's source fingerprint) and :meth:`Entry.of` (a record given by the
caller, perhaps built in a test: a transient plan, never stored, since two records can share a
name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..numeric.plan import CompilePlan, load_plan

if TYPE_CHECKING:
    from ..theorem import Theorem

__all__ = ["Entry", "catalogue_names"]


@dataclass
class Entry:
    """One theorem to check: ``name``, its ``plan`` and ``theorem()`` (the record, loaded on first call)."""

    name: str
    plan: CompilePlan
    _load: Callable[[], Theorem] = field(repr=False)
    _record: list[Theorem] = field(default_factory=list, repr=False)

    @classmethod
    def named(cls, name: str) -> Entry:
        """The catalogue entry ``name`` (unknown names raise :class:`~theory.errors.UnknownNameError`)."""
        if name not in catalogue_names():
            from ..catalogue import get

            get(name)  # raises, naming the known entries
        return cls(name, load_plan("check", name), lambda: _get(name))

    @classmethod
    def of(cls, theorem: Theorem) -> Entry:
        """A record given by the caller (a transient plan: nothing cached under its name)."""
        return cls(theorem.name, CompilePlan(None), lambda: theorem)

    def theorem(self) -> Theorem:
        """The theorem record (imports the catalogue, and SymPy, on first call)."""
        if not self._record:
            self._record.append(self._load())
        return self._record[0]

    @property
    def header(self) -> dict[str, Any]:
        """``kind``, ``expected``, ``procedure`` (or None) and ``sizes`` (the largest listed)."""

        def build() -> dict[str, Any]:
            t = self.theorem()
            return {
                "kind": t.kind,
                "expected": t.expected,
                "procedure": None if t.numeric is None else t.numeric.procedure,
                "sizes": dict(t.sizes[-1]) if t.sizes else {},
            }

        return self.plan.value("header", build)

    @property
    def kind(self) -> str:
        return str(self.header["kind"])

    @property
    def expected(self) -> str:
        return str(self.header["expected"])

    @property
    def procedure(self) -> str | None:
        return self.header["procedure"]

    def inputs(self) -> Any:
        """The numeric set-up's inputs (from the record: builders only)."""
        setup = self.theorem().numeric
        if setup is None:
            raise ValueError(f"{self.name} has no numeric set-up")
        return setup.inputs


def _get(name: str) -> Theorem:
    from ..catalogue import get

    return get(name)


def catalogue_names() -> list[str]:
    """The catalogue's names in order (cached like a plan: no record is built on a warm run)."""
    plan = load_plan("catalogue")

    def build() -> list[str]:
        from ..catalogue import theorems

        return [t.name for t in theorems()]

    names = plan.value("names", build)
    plan.save()
    return list(names)
