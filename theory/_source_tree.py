"""``theory.derivations`` from a source checkout.

The theorem modules live in the repository's top-level folder ``derivations/`` (beside their
generated ``.tex``), which ``pyproject.toml`` installs as the package ``theory.derivations``
(``[tool.setuptools.package-dir]``): a wheel or an editable install has nothing named
``derivations`` at the top level.  Run from the source tree (``PYTHONPATH=. python3 -m
theory``), Python finds ``theory/`` but not the mapping, so :func:`install` adds a finder that
resolves exactly the name ``theory.derivations`` to that folder.  It is a no-op when the folder
is absent (an installed wheel, where ``theory/derivations/`` is the package itself).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["FOLDER", "PACKAGE", "install"]

#: The mapped package name and the folder it comes from in a source checkout.
PACKAGE = "theory.derivations"
FOLDER = Path(__file__).resolve().parent.parent / "derivations"


class _DerivationsFinder(importlib.abc.MetaPathFinder):
    """Finds ``theory.derivations`` in the top-level folder ``derivations/`` (submodules follow its ``__path__``)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        return importlib.util.spec_from_file_location(
            fullname, FOLDER / "__init__.py", submodule_search_locations=[str(FOLDER)]
        )


def install() -> None:
    """Add the finder once, if this is a source checkout (``theory/derivations/`` absent, ``derivations/`` present)."""
    installed = (Path(__file__).resolve().parent / "derivations").is_dir()
    if installed or not (FOLDER / "__init__.py").is_file():
        return
    if not any(isinstance(f, _DerivationsFinder) for f in sys.meta_path):
        # first, so that an editable install of another checkout (whose finder maps the same
        # name to *its* derivations/) cannot pair this checkout's theory/ with other theorems
        sys.meta_path.insert(0, _DerivationsFinder())
