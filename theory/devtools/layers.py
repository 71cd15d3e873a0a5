"""The import graph of ``theory`` and its layers (``python3 -m theory.devtools.layers``).

Role: the one definition of the layer order that ``tests/test_structure.py`` enforces and
``docs/code-architecture.md`` shows.  Imports are read from the source with :mod:`ast`:
every ``import`` / ``from ... import`` anywhere in a module (lazy imports inside functions
count), and ``importlib.import_module("...")`` / ``__import__("...")`` called with a string
literal; imports under ``if TYPE_CHECKING:`` do not count (they never run).  The implicit
import of a parent package (importing ``theory.lu.model`` runs ``theory/lu/__init__.py``) is
not an edge: every module would otherwise depend on its package's re-exports.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

__all__ = [
    "LAYERS",
    "ROOT",
    "Imported",
    "allowed",
    "graph",
    "imports_of",
    "layer_of",
    "modules",
    "render_layers",
    "violations",
]

ROOT = Path(__file__).resolve().parents[2]

#: Layers, lowest first; a module may import its own layer and the layers below it.  Module
#: prefixes are matched longest first.  ``architecture`` is beside the stack (see ``allowed``).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "theory.errors",
            "theory._io",
            "theory._plotting",
            "theory._json",
            "theory._budget",
            "theory._progress",
            "theory._manifest",
            "theory._config",
            "theory._source_tree",
            "theory.vocabulary",
        ),
    ),
    ("models", ("theory.models",)),
    ("symbolic", ("theory.symbolic",)),
    # the Lu et al. NumPy model (data, loss and exact gradients) is numeric like the JoMA referee;
    # it sits in theory/lu/ because the Lu experiments are built on it
    ("numeric", ("theory.numeric", "theory.lu.model", "theory.lu.data", "theory.lu.classifiers")),
    ("theorems", ("theory.theorem", "theory.catalogue", "theory.derivations")),
    ("checks", ("theory.checks", "theory.strategies")),
    ("experiments", ("theory.dynamics", "theory.lu", "theory.hierarchy")),
    ("architecture", ("theory.architecture",)),
    # resumable sweeps: jobs call the layers below (not architecture); only reports/CLI import it
    ("sweep", ("theory.sweep",)),
    ("reports", ("theory.commands", "theory.reproduce", "theory.cli", "theory.devtools", "theory.__main__", "theory")),
)
_RANK = {name: r for r, (name, _) in enumerate(LAYERS)}


@dataclass(frozen=True)
class Imported:
    """One import of a module: the imported name, the line and how it was written."""

    target: str
    line: int
    how: str  # "import", "from", "string" (importlib.import_module / __import__ with a literal)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package: ``theory/**.py`` and ``derivations/*.py`` (as ``theory.derivations``)."""
    out: dict[str, Path] = {}
    for base, prefix in ((root / "theory", ("theory",)), (root / "derivations", ("theory", "derivations"))):
        for path in sorted(base.rglob("*.py")):
            parts = prefix + path.relative_to(base).with_suffix("").parts
            out[".".join(parts).removesuffix(".__init__")] = path
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                for child in node.body:
                    lines |= set(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _string_import(node: ast.Call) -> str | None:
    """The module of ``importlib.import_module("x")`` / ``import_module("x")`` / ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def imports_of(name: str, path: Path, source: str | None = None) -> list[Imported]:
    """Every import of module ``name`` (file ``path``), relative imports resolved to absolute names."""
    tree = ast.parse(source if source is not None else path.read_text())
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[Imported] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [Imported(a.name, node.lineno, "import") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append(Imported(mod, node.lineno, "from"))
            found += [Imported(f"{mod}.{a.name}", node.lineno, "from") for a in node.names]
        elif isinstance(node, ast.Call) and (target := _string_import(node)) is not None:
            found.append(Imported(target, node.lineno, "string"))
    return found


def _resolve(target: str, known: dict[str, Path]) -> str | None:
    """The longest known module that ``target`` names (``theory.models.joma_block`` -> ``theory.models``)."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        cand = ".".join(parts[:n])
        if cand in known:
            return cand
    return None


def layer_of(module: str) -> str:
    """The layer of a ``theory`` module (longest matching prefix of :data:`LAYERS`)."""
    best = ("", "")
    for layer, prefixes in LAYERS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best[1]):
                best = (layer, p)
    if not best[0]:
        raise KeyError(f"module {module!r} is in no layer; add it to theory.devtools.layers.LAYERS")
    return best[0]


def allowed(importer: str, imported: str) -> bool:
    """Whether a module of layer ``importer`` may import one of layer ``imported``.

    The stack runs one way (a layer imports itself and the layers below it); ``architecture``
    stands beside it: it imports only ``base``, ``numeric`` (plain array helpers such as the
    entropy) and itself, and only ``reports`` imports it.
    """
    if "architecture" in (importer, imported) and importer != imported:
        return imported in ("base", "numeric") or importer == "reports"
    return _RANK[imported] <= _RANK[importer]


def graph(root: Path = ROOT) -> nx.DiGraph:
    """The module import graph (edges carry the line and how the import was written)."""
    known = modules(root)
    g = nx.DiGraph()
    g.add_nodes_from(known)
    for name, path in known.items():
        for imp in imports_of(name, path):
            target = _resolve(imp.target, known)
            if target is not None and target != name:
                g.add_edge(name, target, line=imp.line, how=imp.how)
    return g


def violations(g: nx.DiGraph) -> list[str]:
    """Edges that go against :func:`allowed`, as readable lines."""
    bad = []
    for a, b, data in g.edges(data=True):
        la, lb = layer_of(a), layer_of(b)
        if not allowed(la, lb):
            bad.append(f"{a} ({la}) imports {b} ({lb}) at line {data['line']} ({data['how']})")
    return sorted(bad)


def render_layers(g: nx.DiGraph) -> str:
    """A Markdown table: each layer, its modules, and the layers it imports."""
    rows = ["| layer | modules | imports from |", "|---|---|---|"]
    for layer, _ in LAYERS:
        mods = sorted(m for m in g if layer_of(m) == layer)
        uses = sorted({layer_of(b) for a in mods for b in g.successors(a)} - {layer}, key=_RANK.__getitem__)
        shown = ", ".join(f"`{m}`" for m in mods if m.count(".") <= 1 or m.rsplit(".", 1)[0] not in mods)
        rows.append(f"| {layer} | {shown} | {', '.join(uses) or '-'} |")
    cycles = list(nx.simple_cycles(g))
    rows.append("")
    rows.append(f"{g.number_of_nodes()} modules, {g.number_of_edges()} import edges, {len(cycles)} cycles.")
    return "\n".join(rows)


def main() -> int:
    """Print the layer table; exit 1 if an import breaks the layers or closes a cycle."""
    g = graph()
    print(render_layers(g))
    bad = violations(g)
    for line in bad:
        print("VIOLATION:", line)
    return 1 if bad or not nx.is_directed_acyclic_graph(g) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
