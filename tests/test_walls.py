"""Walls of the house plan that import-linter cannot see (its contracts are in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "microblog"


def reads_environment(tree: ast.AST) -> list[int]:
    """Lines that touch `os.environ` / `os.getenv` (or import them by name)."""
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "environb", "getenvb"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(alias.name in {"environ", "getenv"} for alias in node.names):
                lines.append(node.lineno)
    return lines


def test_only_config_reads_the_environment():
    readers = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = reads_environment(ast.parse(path.read_text(), str(path)))
        if lines:
            readers[str(path.relative_to(PACKAGE))] = lines
    assert set(readers) == {"config.py"}, readers


MAX_LINES = 400


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these rooms (at most {MAX_LINES} lines each): {long}"
