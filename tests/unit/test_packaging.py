"""What a production install (`pip install .`) ships: every room of the package, and every
library the package imports at run time as a runtime dependency (not a test extra)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "microblog"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def runtime_imports() -> set[str]:
    """Top-level names of the third-party modules imported anywhere in microblog/."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return {
        name
        for name in names
        if name not in sys.stdlib_module_names and name not in {"microblog", "_typeshed"}
    }


def requirement_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_room_is_a_listed_package():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    rooms = {".".join(init.parent.relative_to(ROOT).parts) for init in PACKAGE.rglob("__init__.py")}
    assert rooms - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_every_library_imported_at_run_time_is_a_runtime_dependency():
    declared = {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    providers = packages_distributions()
    # What a declared dependency brings with it is fine to import (Flask brings click,
    # werkzeug, itsdangerous, markupsafe; flask-limiter brings limits; flask-wtf wtforms;
    # flask-migrate alembic; flask jinja2).
    brought = {
        "click",
        "werkzeug",
        "itsdangerous",
        "markupsafe",
        "limits",
        "wtforms",
        "redis",
        "alembic",
        "jinja2",
    }
    undeclared = {
        name
        for name in runtime_imports() - brought
        if not {d.lower().replace("_", "-") for d in providers.get(name, [name])} & declared
    }
    assert undeclared == set(), "declare these in [project] dependencies"


def test_the_install_ships_templates_and_migrations():
    data = PYPROJECT["tool"]["setuptools"]
    assert data["package-dir"]["microblog.templates"] == "templates"
    assert data["package-dir"]["microblog.migrations"] == "migrations"
    patterns = data["package-data"]["microblog.templates"]
    shipped = {
        path
        for pattern in patterns
        for path in (ROOT / "templates").glob(pattern)
        if path.is_file()
    }
    every = {path for path in (ROOT / "templates").rglob("*") if path.is_file()}
    assert every - shipped == set(), "widen package-data for microblog.templates"
