"""``theory list`` reads the catalogue index from the theorem modules' source (no SymPy import)."""

from __future__ import annotations

from pathlib import Path

from theory.cli._index import catalogue_index
from theory.commands import catalogue_rows


def test_index_from_source_equals_the_records() -> None:
    assert catalogue_index() == catalogue_rows()


def test_a_computed_field_falls_back(tmp_path: Path) -> None:
    # negative control: a SUMMARY that is not a literal cannot be read without importing the module
    (tmp_path / "__init__.py").write_text("from . import a\nMODULES = (a,)\n")
    (tmp_path / "a.py").write_text('NAME = "a"\nKIND = "invariant"\nEXPECTED = "proved"\nSUMMARY = "x" + str(1)\n')
    assert catalogue_index(tmp_path) is None
    (tmp_path / "a.py").write_text('NAME = "a"\nKIND = "invariant"\nEXPECTED = "proved"\nSUMMARY = "x1"\n')
    assert catalogue_index(tmp_path) == [{"name": "a", "kind": "invariant", "expected": "proved", "summary": "x1"}]
