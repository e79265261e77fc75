"""Walls of the house plan that import-linter cannot see (its contracts are in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "microblog"


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


def imported_names(tree: ast.AST) -> set[str]:
    """Every `module.name` and `module` this file imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def modules_importing(wanted: set[str]) -> set[str]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if imported_names(ast.parse(path.read_text(), str(path))) & wanted:
            found.add(str(path.relative_to(PACKAGE)))
    return found


def test_only_the_web_layer_reads_a_request():
    readers = modules_importing({"flask.request", "flask.globals.request", "werkzeug.wrappers"})
    assert readers and all(path.startswith("web/") for path in readers), readers


def test_only_the_guarded_fetch_opens_outbound_http():
    """urllib3 is import-linter's wall; the standard library's clients are this one's."""
    openers = modules_importing({"urllib.request", "http.client", "urllib3", "requests"})
    assert openers == {"indieweb/fetch.py"}, openers


def test_only_the_mail_room_talks_smtp():
    talkers = modules_importing({"smtplib", "flask_mail.Connection", "flask_mail.Message"})
    assert talkers and all(path.startswith("mail/") for path in talkers), talkers
