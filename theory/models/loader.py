"""Load a user's model file: a Python file that defines ``model()`` returning a ModelSpec.

``theory discover my_block.py`` runs the user's *own* file, as ``python my_block.py`` would
(that is what the user asks for by naming it); strings typed on the command line are never
run.  The file must define ``model()`` taking no arguments and returning a
:class:`~theory.models.spec.ModelSpec` built with the public constructors
(``theory.models.network``, ``theory.models.custom``, ...).  Every failure is one
:class:`~theory.errors.ModelError` naming the file and the fix.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from ..errors import ModelError
from .spec import ModelSpec

__all__ = ["load_model_file"]


def load_model_file(path: str | Path) -> ModelSpec:
    """Run ``path`` and return what its ``model()`` returns.

    Raises
    ------
    ModelError
        Missing or unreadable file, not a ``.py`` file, no ``model()``, ``model()`` raising,
        or returning something other than a ModelSpec.
    """
    p = Path(path)
    if p.suffix != ".py":
        raise ModelError(f"{p}: a model file must be a Python file ending in .py that defines model()")
    if not p.is_file():
        raise ModelError(f"{p}: no such file; give the path of a .py file that defines model()")
    try:
        namespace = runpy.run_path(str(p), run_name="theory_model_file")
    except SyntaxError as exc:
        raise ModelError(f"{p}: line {exc.lineno}: syntax error ({exc.msg}); fix the file") from None
    except Exception as exc:  # the user's module raised while loading
        raise ModelError(f"{p}: running the file raised {type(exc).__name__}: {exc}; fix the file") from None
    builder = namespace.get("model")
    if not callable(builder):
        raise ModelError(f"{p}: defines no function model(); add `def model(): return theory.models.network(...)`")
    try:
        spec = builder()
    except Exception as exc:  # the user's model() raised
        raise ModelError(f"{p}: model() raised {type(exc).__name__}: {exc}; fix model()") from None
    if not isinstance(spec, ModelSpec):
        raise ModelError(
            f"{p}: model() returned {type(spec).__name__}, not a ModelSpec; build it with theory.models.network "
            "or theory.models.custom"
        )
    return spec
