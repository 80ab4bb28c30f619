"""The import block of a generated module, in the order isort (ruff I001) would write it.

Callers say what they need — a module (`module("uuid")`), a name from a module
(`name("typing", "Final")`), a runtime helper or a model — and `sections()` lays out the
lines: standard library, third party, then the package's own relative imports.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from codegen.render.layout import from_import


@dataclass
class Imports:
    _plain: set[str] = field(default_factory=set)  # `import x` (x a module)
    _froms: dict[str, set[str]] = field(default_factory=dict)  # module -> names
    _runtime: set[str] = field(default_factory=set)
    _models: set[str] = field(default_factory=set)

    def module(self, name: str) -> None:
        self._plain.add(name)

    def name(self, module: str, name: str) -> None:
        self._froms.setdefault(module, set()).add(name)

    def runtime(self, name: str) -> None:
        self._runtime.add(name)

    def model(self, name: str) -> None:
        self._models.add(name)

    def sections(self, local_models: bool = False) -> dict[str, list[str]]:
        """`stdlib`, `third` and `local` lines. With `local_models` (in models.py itself)
        models are not imported."""
        lines: dict[str, list[str]] = {"stdlib": [], "third": []}
        for module in sorted(self._plain):
            lines[_section(module)].append(f"import {module}")
        for module in sorted(self._froms):
            names = sorted(self._froms[module], key=_by_type)
            lines[_section(module)].append(from_import(module, names))
        # Relative imports: the package works wherever it is put and under whatever name it
        # is imported (a src/ layout, a tests fixture), with no guess at its dotted path.
        local = []
        if self._models and not local_models:
            local.append(from_import(".models", sorted(self._models)))
        if self._runtime:
            local.append(from_import(".runtime", sorted(self._runtime)))
        return {**lines, "local": local}


def _section(module: str) -> str:
    return "stdlib" if module.split(".")[0] in sys.stdlib_module_names else "third"


def _by_type(name: str) -> tuple[int, str]:
    """isort's order-by-type, as ruff applies it: CONSTANTS, then Classes, then the rest."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[0].isupper() else 2), name
