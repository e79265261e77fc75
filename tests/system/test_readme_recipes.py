"""The README's "Move your Jekyll blog" recipe, run as written: its shell blocks, in order, in
a copy of the project (its virtualenv shared), with a real Jekyll site and a real mail
server; then the sign-in page the recipe ends on, over HTTP.

Changed from the README, and only this (REPLACEMENTS): the mail server is the test's own
(aiosmtpd, no TLS), the author's password comes from standard input, the site is
tests/data/jekyll-site under a temporary $HOME, and `make run` is a gunicorn started by the
test (the same app, the same instance folder).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from comment_helpers import CSRF_RE
from servers import PROJECT_ROOT, Browser, GunicornSettings, gunicorn_server

README = PROJECT_ROOT / "README.md"
SITE = PROJECT_ROOT / "tests" / "data" / "jekyll-site"
PASSWORD = "a long enough password"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def copy_of_project(folder: Path) -> Path:
    """The project as a fresh clone has it (no instance, no database), its .venv shared."""
    project = folder / "microblog"
    archive = folder / "project.tar"
    skip = {".venv", ".git", "node_modules", "instance", "tests", ".pytest_cache", "docs"}
    with tarfile.open(archive, "w") as tar:
        for path in PROJECT_ROOT.iterdir():
            if path.name not in skip and not path.name.endswith(".egg-info"):
                tar.add(path, arcname=path.name)
    project.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(project, filter="data")
    (project / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return project


def test_move_your_jekyll_blog_as_the_readme_says(tmp_path, smtp):
    recipe = section("Move your Jekyll blog")
    blocks = shell_blocks(recipe)
    assert len(blocks) >= 4, "the recipe's shell blocks are gone"
    replacements = {
        '"smtp.example.org"': '"127.0.0.1"',
        "MAIL_PORT = 587": f"MAIL_PORT = {smtp.port}",
        "MAIL_USE_TLS = True": "MAIL_USE_TLS = False",
        "MAIL_USERNAME = ": "# MAIL_USERNAME = ",
        "MAIL_PASSWORD = ": "# MAIL_PASSWORD = ",
        "--email me@example.org": "--email me@example.org --password-stdin",
    }
    script = "\n".join(blocks)
    for old, new in replacements.items():
        assert old in script, f"the recipe no longer says {old!r}"
        script = script.replace(old, new)
    assert re.search(r"^make run$", script, re.MULTILINE)
    script = re.sub(r"^make run$", "", script, flags=re.MULTILINE)

    project = copy_of_project(tmp_path)
    home = tmp_path / "home"
    shutil.copytree(SITE, home / "my-jekyll-blog")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=project,
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "0 problems found" in done.stdout  # flask doctor, mail server reached
    assert re.search(r"^\d+ imported, .* 0 failed", done.stdout, re.MULTILINE), done.stdout
    assert "created author me" in done.stdout

    settings = GunicornSettings(workers=1, worker_class="gthread", threads=2)
    with gunicorn_server(
        "wsgi:app", env=env, settings=settings, cwd=project, log_dir=tmp_path
    ) as app:
        author = Browser()
        status, _, headers = author.send(app.url("/admin"))
        assert status == 302 and headers["Location"].endswith("/admin/login")
        _, login, _ = author.send(app.url("/admin/login"))
        form = {"username": "me", "password": PASSWORD, "csrf_token": CSRF_RE.search(login)[1]}
        assert author.send(app.url("/admin/login"), form)[0] == 303
        status, _, headers = author.send(app.url("/admin"))
        assert status == 302 and "/admin/comments" in headers["Location"]
        status, feed, _ = author.send(app.url("/feed.xml"))
        assert status == 200 and "https://blog.example.org/" in feed
        assert "<title>My blog</title>" in feed
