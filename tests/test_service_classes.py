"""The service classes are siblings over one `Database`: holding the chat service gives no
admin operation; the application decides who gets which service. And the service builds
no row of its own: every row it returns is one a generated query made."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import chatdb


def service_classes() -> list[type]:
    """Every class of the hand-written chatdb modules that offers operations (public
    coroutine methods), derived from the package, not listed by hand."""
    found: list[type] = []
    for info in pkgutil.iter_modules(chatdb.__path__, "chatdb."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and operations(cls):
                found.append(cls)
    return found


def operations(cls: type) -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(cls, inspect.iscoroutinefunction)
        if not name.startswith("_") and name.isascii()  # not mutmut's `xǁ...` copies
    }


def test_service_classes_share_no_base_class_but_object() -> None:
    classes = service_classes()
    assert len(classes) >= 2, classes
    for cls in classes:
        assert cls.__bases__ == (object,), f"{cls.__name__} derives from {cls.__bases__}"


def test_no_operation_is_offered_by_two_services() -> None:
    classes = service_classes()
    for i, a in enumerate(classes):
        for b in classes[i + 1 :]:
            assert not operations(a) & operations(b), (a.__name__, b.__name__)


# What builds a generated row class in Python: runtime.make_row, a row class's `make`
# (both documented for sqlc.embed and tests) and the class's tuple type.
ROW_BUILDERS = {"make_row", "make", "Tuple"}


def test_the_hand_written_modules_build_no_row() -> None:
    """A row copied field by field breaks silently when the table gains a column: the send
    path once built its ChatMessage so from SendMessage's columns. Rows nest models with
    sqlc.embed instead, made by the generated code from the schema."""
    package = Path(chatdb.__path__[0])
    modules = list(package.glob("*.py"))
    assert len(modules) >= 5, modules
    found = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ROW_BUILDERS:
                found.append(f"{path.name}:{node.lineno}: {name}(...)")
    assert not found, found
