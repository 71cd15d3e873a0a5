"""The catalogue's one-line index read from the theorem modules' source, without importing them.

``theory list`` only needs each theorem's ``NAME``, ``KIND``, ``EXPECTED`` and ``SUMMARY``,
which every module of :mod:`theory.derivations` assigns as literals; importing the modules
would build every record and import SymPy (most of the command's start-up time).  The order is
the ``MODULES`` tuple of the package's ``__init__``.  When anything is not a plain literal the
function returns ``None`` and the caller builds the rows from the records themselves;
``tests/test_cli_index.py`` checks that both give the same rows.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

__all__ = ["FIELDS", "catalogue_index"]

#: Module-level names read from each theorem module, and the row key each becomes.
FIELDS = {"NAME": "name", "KIND": "kind", "EXPECTED": "expected", "SUMMARY": "summary"}


def _literals(path: Path) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            key = node.targets[0].id
            if key in FIELDS:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    return None
                if not isinstance(value, str):
                    return None
                out[FIELDS[key]] = value
    return out if len(out) == len(FIELDS) else None


def catalogue_index(folder: Path | None = None) -> list[dict[str, str]] | None:
    """Rows ``{name, kind, expected, summary}`` in catalogue order, or ``None`` (build them instead)."""
    if folder is None:
        spec = importlib.util.find_spec("theory.derivations")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        init = ast.parse((folder / "__init__.py").read_text())
    except OSError:
        return None
    names = None
    for node in init.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MODULES" for t in node.targets):
            if isinstance(node.value, ast.Tuple) and all(isinstance(e, ast.Name) for e in node.value.elts):
                names = [e.id for e in node.value.elts if isinstance(e, ast.Name)]
    if not names:
        return None
    rows = []
    for name in names:
        try:
            row = _literals(folder / f"{name}.py")
        except OSError:
            return None
        if row is None:
            return None
        rows.append({k: row[k] for k in ("name", "kind", "expected", "summary")})
    return rows
