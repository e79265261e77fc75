"""A whole Jekyll site, side by side: `jekyll build` of it against `flask posts import` of it
into a fresh SQLite database (the migration not counted), alternating, ROUNDS rounds,
medians; then the import again with every file unchanged. Target: import speed at least
1.0x jekyll build's (the import's time no longer than the build's).

    .venv/bin/python -m pytest -q -s tests/bench/bench_site_import.py

Environment: BENCH_SITE_POSTS (1000), BENCH_SITE_ROUNDS (3).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from bench_import import write_posts
from servers import flask_cli

POSTS = int(os.environ.get("BENCH_SITE_POSTS", "1000"))
ROUNDS = int(os.environ.get("BENCH_SITE_ROUNDS", "3"))
JEKYLL = shutil.which("jekyll")

pytestmark = pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")

LAYOUT = """<!doctype html>
<html><head><title>{{ page.title }} | {{ site.title }}</title></head>
<body><main>{{ content }}</main></body></html>
"""


def write_site(root: Path) -> None:
    """A site as an author has one: settings, layouts, an about page, an image, posts."""
    (root / "_layouts").mkdir(parents=True)
    (root / "_layouts" / "default.html").write_text(LAYOUT)
    (root / "_layouts" / "post.html").write_text(
        "---\nlayout: default\n---\n<article>{{ content }}</article>\n"
    )
    (root / "_config.yml").write_text(
        "title: A bench blog\ntimezone: UTC\npermalink: /:year/:month/:day/:title/\n"
        "defaults:\n  - scope: {path: ''}\n    values: {layout: post}\n"
    )
    (root / "about.md").write_text("---\ntitle: About\n---\n\nAbout this blog.\n")
    (root / "assets").mkdir()
    (root / "assets" / "pixel.gif").write_bytes(
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    write_posts(root / "_posts", POSTS, random.Random(20))


def jekyll_build(site: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [JEKYLL, "build", "--quiet", "--disable-disk-cache", "-s", str(site), "-d", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started


def fresh_env(folder: Path, number: int) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"sqlite:///{folder / f'site-{number}.sqlite'}",
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "MEDIA_FOLDER": str(folder / f"media-{number}"),
    }
    flask_cli(env, "db", "upgrade")
    return env


def timed_import(env: dict[str, str], site: Path) -> tuple[float, str]:
    started = time.perf_counter()
    output = flask_cli(env, "posts", "import", str(site))
    return time.perf_counter() - started, output.strip().splitlines()[-1]


def test_site_import_against_jekyll_build(tmp_path):
    site = tmp_path / "site"
    write_site(site)
    builds, imports, again = [], [], []
    summary = ""
    for number in range(ROUNDS):
        builds.append(jekyll_build(site, tmp_path / "_site"))
        env = fresh_env(tmp_path, number)
        took, summary = timed_import(env, site)
        imports.append(took)
        again.append(timed_import(env, site)[0])
    build, first, second = (statistics.median(x) for x in (builds, imports, again))
    print(
        f"\n{POSTS}-post site, medians of {ROUNDS} alternating rounds "
        f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):\n"
        f"  jekyll build            {build:.2f} s   (runs: "
        + ", ".join(f"{x:.2f}" for x in builds)
        + f")\n  flask posts import      {first:.2f} s   (runs: "
        + ", ".join(f"{x:.2f}" for x in imports)
        + f")  {build / first:.2f}x jekyll: {'met' if first <= build else 'missed'}\n"
        f"  import again, unchanged {second:.2f} s   {build / second:.2f}x jekyll\n"
        f"  last import said: {summary}"
    )
