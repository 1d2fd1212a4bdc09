"""The shape of the code: one concept per module (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "feedback"
MAX_MODULE_LINES = 350
MAX_CLASS_LINES = 150


def modules() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts]


def test_no_module_is_over_350_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_class_is_over_150_lines() -> None:
    long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                long[f"{path.relative_to(PACKAGE)}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert not long, long


def test_package_inits_only_re_export() -> None:
    """A package's __init__.py holds a docstring, imports and __all__: no logic."""
    for path in PACKAGE.rglob("__init__.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text()).body:
            is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            is_all = isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
            assert is_docstring or is_all or isinstance(node, ast.ImportFrom | ast.Import), (path, ast.dump(node)[:80])
