"""A production install, as an operator makes it: `pip install .` (not editable, no test
extras) into a fresh venv, then `flask db upgrade`, `flask posts import` and gunicorn, run
from a folder outside the checkout so nothing can come from the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from servers import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POST = PROJECT_ROOT / "content" / "_posts" / "2025-09-30-alg-blog-post-2.md"
EXAMPLE_PERMALINK = "/posts/2025/09/alg-blog-post-2/"


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding `pip install .` of this checkout (a copy, so no build files
    are left in the tree)."""
    root = tmp_path_factory.mktemp("production")
    source = root / "source"
    shutil.copytree(
        PROJECT_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", "node_modules", ".git", "instance", "*.egg-info", "__pycache__", "build"
        ),
    )
    venv = root / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    run([sys.executable, "-m", "venv", str(venv)], root, env)
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(source)], root, env)
    return venv


def test_pip_install_dot_serves_the_blog_with_no_test_tools(installed, tmp_path):
    venv = installed
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(PROJECT_ROOT / "wsgi.py", site / "wsgi.py")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "SECRET_KEY": "production-install-test",
        "MICROBLOG_INSTANCE": str(tmp_path / "instance"),
        "SITE_URL": "http://blog.example",
    }
    python = str(venv / "bin/python")

    # The package comes from the venv, and the test tools are not there.
    where = run([python, "-c", "import microblog; print(microblog.__file__)"], site, env)
    assert str(venv) in where, where
    for tool in ("pytest", "playwright", "mypy", "hypothesis"):
        missing = subprocess.run(
            [python, "-c", f"import {tool}"], cwd=site, env=env, capture_output=True
        )
        assert missing.returncode != 0, f"{tool} is installed in production"

    flask = [str(venv / "bin/flask"), "--app", "wsgi"]
    run([*flask, "db", "upgrade"], site, env)
    imported = run([*flask, "posts", "import", str(EXAMPLE_POST)], site, env)
    assert "imported" in imported

    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as errors:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(
            [str(venv / "bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=site,
            env={**env, "RATELIMIT_ENABLED": "0"},
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}{EXAMPLE_PERMALINK}", timeout=5
                ) as answer:
                    page = answer.read().decode()
                    status = answer.status
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        assert status == 200
        assert "How Generative AI Works" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
