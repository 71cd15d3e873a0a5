"""Architecture rules enforced by scanning the source: one lambdify site, layers that run one way, no cycles.

The layers and the import reader are :mod:`theory.devtools.layers` (also
``python3 -m theory.devtools.layers``, which prints the table of docs/code-architecture.md).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import networkx as nx
import pytest

from theory.devtools.layers import LAYERS, allowed, graph, imports_of, layer_of, modules, violations

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "theory"

#: Dynamic imports whose module name is computed (not a literal): each is a same-package or
#: optional third-party import, listed so a new one is looked at.
DYNAMIC_IMPORTS = {
    "theory": "lazy public names of the package root (check, simulate: they pull in SciPy)",
    "theory.cli": "the CLI's own sub-command modules (theory.cli.<name>)",
    "theory.numeric": "lazy re-exports of theory.numeric's own modules",
    "theory.errors": "require(): an optional third-party dependency (matplotlib, torch)",
}


@pytest.fixture(scope="module")
def import_graph() -> nx.DiGraph:
    return graph(ROOT)


def test_lambdify_only_in_the_compile_bridge() -> None:
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "derivations").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = getattr(node, "attr", getattr(node, "id", ""))
            if isinstance(node, (ast.Attribute, ast.Name)) and name == "lambdify":
                offenders.append(str(path.relative_to(ROOT)))
    assert set(offenders) <= {"theory/numeric/compile.py"}, offenders


def test_every_module_has_a_layer() -> None:
    for name in modules(ROOT):
        layer_of(name)  # raises for a module in no layer


def test_layers_import_one_way(import_graph: nx.DiGraph) -> None:
    """models <- symbolic <- numeric <- theorems <- checks <- experiments <- reports/CLI; architecture beside."""
    assert not violations(import_graph)


def test_no_import_cycles(import_graph: nx.DiGraph) -> None:
    """Module-level cycles, lazy imports inside functions included (TYPE_CHECKING-only imports excluded)."""
    cycles = list(nx.simple_cycles(import_graph))
    assert not cycles, cycles[:5]


def test_nothing_imports_a_top_level_derivations_package() -> None:
    """derivations/ installs as theory.derivations; ``import derivations`` would work only in a checkout."""
    bad = []
    named = {**modules(ROOT), **{f"tests.{p.stem}": p for p in (ROOT / "tests").rglob("*.py")}}
    for name, path in named.items():
        for imp in imports_of(name, path):
            if imp.target == "derivations" or imp.target.startswith("derivations."):
                bad.append(f"{path.relative_to(ROOT)}:{imp.line} {imp.target}")
    assert not bad, bad


def test_dynamic_imports_are_known() -> None:
    """``import_module(<not a literal>)`` cannot be checked against the layers: only the listed ones exist."""
    found = set()
    for name, path in modules(ROOT).items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                dynamic = node.args and not isinstance(node.args[0], ast.Constant)
                if fname in ("import_module", "__import__") and dynamic:
                    found.add(name)
    assert found <= set(DYNAMIC_IMPORTS), found - set(DYNAMIC_IMPORTS)


def test_pyproject_lists_every_package() -> None:
    """The explicit package list (needed to map derivations/ to theory.derivations) misses no directory."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert listed == on_disk | {"theory.derivations"}
    assert config["package-dir"] == {"theory.derivations": "derivations"}
    assert "derivations" not in listed


# ------------------------------------------------------------------ negative controls of the scanner


def test_negative_control_the_scanner_sees_a_violation(tmp_path: Path) -> None:
    fake = tmp_path / "mod.py"
    fake.write_text("from ..numeric import compile\nimport sympy\nsympy.lambdify\n")
    targets = {i.target for i in imports_of("theory.symbolic.mod", fake)}
    assert "theory.numeric" in targets
    assert not allowed(layer_of("theory.symbolic.mod"), layer_of("theory.numeric.compile"))


@pytest.mark.parametrize(
    "source",
    [
        'import importlib\nimportlib.import_module("theory.cli")\n',
        'from importlib import import_module\nimport_module("theory.cli.check")\n',
        'def f():\n    return __import__("theory.cli")\n',
    ],
)
def test_negative_control_string_imports_are_imports(tmp_path: Path, source: str) -> None:
    """A string import of the CLI from the symbolic layer is seen and is a violation."""
    fake = tmp_path / "mod.py"
    fake.write_text(source)
    found = [i for i in imports_of("theory.symbolic.mod", fake) if i.how == "string"]
    assert [i.target.split(".")[:2] for i in found] == [["theory", "cli"]]
    assert not allowed(layer_of("theory.symbolic.mod"), layer_of(found[0].target))


def test_negative_control_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    fake = tmp_path / "mod.py"
    fake.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cli import main\n")
    assert not any(i.target.startswith("theory.cli") for i in imports_of("theory.symbolic.mod", fake))


def test_negative_control_a_cycle_is_found() -> None:
    g = nx.DiGraph([("theory.catalogue", "theory.derivations"), ("theory.derivations", "theory.catalogue")])
    assert list(nx.simple_cycles(g))


def test_negative_control_architecture_stands_beside() -> None:
    assert not allowed("architecture", "symbolic") and not allowed("architecture", "experiments")
    assert not allowed("experiments", "architecture") and not allowed("numeric", "architecture")
    assert allowed("reports", "architecture") and allowed("architecture", "base") and allowed("architecture", "numeric")
    assert [name for name, _ in LAYERS][:6] == ["base", "models", "symbolic", "numeric", "theorems", "checks"]
