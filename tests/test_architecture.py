"""The generator's layering, read from its import statements.

Every ``import`` in ``codegen/`` counts, including the ones inside functions:
an import moved into a function body still ties the two units together.  A
unit is a top-level module or package of ``codegen`` (``codegen.analyze.scope``
belongs to ``analyze``).  The units must form no cycle, and the core stages
never name a tool: tools are built on the core, never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import codegen

PACKAGE = Path(codegen.__file__).parent

CORE = ("parse", "catalog", "analyze", "render", "pipeline")
TOOLS = ("dba", "migrate", "drift", "vet", "verify", "cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(source: str, name: str, is_package: bool) -> set[str]:
    """Absolute names of the modules a module imports, wherever the import is."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # ``from codegen import cli`` imports the unit ``cli``.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def units() -> set[str]:
    """The top-level modules and packages of ``codegen``, read from the directory."""
    return {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }


def _unit(module: str, known: set[str]) -> str | None:
    parts = module.split(".")
    if parts[0] != "codegen" or len(parts) < 2 or parts[1] not in known:
        return None
    return parts[1]


def unit_graph() -> dict[str, set[str]]:
    """Which unit imports which (self-imports inside one unit left out)."""
    known = units()
    graph: dict[str, set[str]] = {u: set() for u in known}
    for path in PACKAGE.rglob("*.py"):
        source = _unit(_module_name(path), known)
        if source is None:
            continue
        imported = _imported(path.read_text(), _module_name(path), path.name == "__init__.py")
        for module in imported:
            target = _unit(module, known)
            if target is not None and target != source:
                graph[source].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for succ in sorted(graph.get(node, ())):
            if state.get(succ) == 1:
                return [*path[path.index(succ) :], succ]
            if succ not in state and (cycle := visit(succ)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_units_read_from_directory_cover_the_named_ones() -> None:
    known = units()
    assert set(CORE) <= known, set(CORE) - known
    assert set(TOOLS) <= known, set(TOOLS) - known


def test_graph_sees_imports_inside_functions() -> None:
    # The finder must see an import in a function body, relative or absolute.
    source = "def f():\n    from .. import cli\n    import codegen.vet\n    from .scope import x\n"
    found = _imported(source, "codegen.analyze.stars", is_package=False)
    known = units()
    assert {_unit(m, known) for m in found} >= {"cli", "vet", "analyze"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_between_units() -> None:
    graph = unit_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between codegen units: " + " -> ".join(cycle or [])


def test_core_names_no_tool() -> None:
    graph = unit_graph()
    wrong = {(core, tool) for core in CORE for tool in TOOLS if tool in graph[core]}
    assert not wrong, "core imports a tool: " + ", ".join(f"{a} -> {b}" for a, b in sorted(wrong))
