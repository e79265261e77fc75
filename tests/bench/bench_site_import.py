"""A whole Jekyll site, side by side: `jekyll build` of it against `flask posts import` of it
into a fresh SQLite database (the migration not counted), alternating, ROUNDS rounds,
medians of wall and CPU time (CPU: what a shared machine cannot blur; the import's worker
processes included); then the import again with every file unchanged. Target: import speed
at least 1.0x jekyll build's (the import's wall time no longer than the build's).

    .venv/bin/python -m pytest -q -s tests/bench/bench_site_import.py

Environment: BENCH_SITE_POSTS (1000), BENCH_SITE_ROUNDS (3).
"""

from __future__ import annotations

import os
import random
import resource
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


def children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs): on a shared machine
    the fairer figure, since wall time there is mostly waiting for a core."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def jekyll_build(site: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `jekyll build`."""
    shutil.rmtree(out, ignore_errors=True)
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(
        [JEKYLL, "build", "--quiet", "--disable-disk-cache", "-s", str(site), "-d", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started, children_cpu() - cpu


def fresh_env(folder: Path, number: int) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"sqlite:///{folder / f'site-{number}.sqlite'}",
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "MEDIA_FOLDER": str(folder / f"media-{number}"),
    }
    flask_cli(env, "db", "upgrade")
    return env


def timed_import(env: dict[str, str], site: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (its worker processes included) of the import; its summary."""
    started, cpu = time.perf_counter(), children_cpu()
    output = flask_cli(env, "posts", "import", str(site))
    took = time.perf_counter() - started
    return took, children_cpu() - cpu, output.strip().splitlines()[-1]


def test_site_import_against_jekyll_build(tmp_path):
    site = tmp_path / "site"
    write_site(site)
    runs: dict[str, list[tuple[float, float]]] = {"build": [], "import": [], "again": []}
    summary = ""
    for number in range(ROUNDS):
        runs["build"].append(jekyll_build(site, tmp_path / "_site"))
        env = fresh_env(tmp_path, number)
        took, cpu, summary = timed_import(env, site)
        runs["import"].append((took, cpu))
        runs["again"].append(timed_import(env, site)[:2])
    wall = {name: statistics.median(r[0] for r in found) for name, found in runs.items()}
    cpu = {name: statistics.median(r[1] for r in found) for name, found in runs.items()}
    ratio = wall["build"] / wall["import"]
    print(
        f"\n{POSTS}-post site, medians of {ROUNDS} alternating rounds "
        f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):\n"
        f"  jekyll build             wall {wall['build']:.2f} s  cpu {cpu['build']:.2f} s\n"
        f"  flask posts import       wall {wall['import']:.2f} s  cpu {cpu['import']:.2f} s"
        f"  (workers included)  {ratio:.2f}x jekyll's wall: {'met' if ratio >= 1 else 'missed'}\n"
        f"  import again, unchanged  wall {wall['again']:.2f} s  cpu {cpu['again']:.2f} s\n"
        f"  runs (wall): build "
        + ", ".join(f"{x[0]:.2f}" for x in runs["build"])
        + "; import "
        + ", ".join(f"{x[0]:.2f}" for x in runs["import"])
        + f"\n  last import said: {summary}"
    )
