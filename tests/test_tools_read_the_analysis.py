"""The tools stand on the analyzer's result, not on the parse tree.

The DBA review catalog, the locks and the distribution rule, `explain`'s data and `vet`
read what the analyzer resolved (`Analysis.uses`): none of them imports PostgreSQL's
parser or reads `Query.stmt`, so a name means in them what it means in the generated code.
The command line reads neither, and names no tool's hooks: tools register (`Extension`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import codegen

PACKAGE = Path(codegen.__file__).parent
CONSUMERS = ("dba/relations.py", "dba/distribution.py", "dba/explain.py", "dba/docs.py", "vet.py")


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _reads_stmt(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "stmt" for n in ast.walk(tree))


def test_the_finders_see_what_they_look_for() -> None:
    tree = ast.parse("def f(a):\n    from pglast import ast\n    return a.query.stmt\n")
    assert "pglast" in _imports(tree) and _reads_stmt(tree)


def test_dba_tools_and_vet_neither_import_pglast_nor_read_the_parse_tree() -> None:
    for name in CONSUMERS:
        tree = ast.parse((PACKAGE / name).read_text())
        parser = {m for m in _imports(tree) if m.split(".")[0] == "pglast"}
        assert not parser, f"{name} imports {parser}"
        assert not _reads_stmt(tree), f"{name} reads Query.stmt"


def test_the_command_line_reads_no_parse_tree_and_names_no_tool_hook() -> None:
    source = (PACKAGE / "cli.py").read_text()
    assert not _reads_stmt(ast.parse(source))
    assert "# dba:" not in source
