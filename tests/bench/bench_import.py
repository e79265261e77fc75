"""Import speed: `flask posts import` of a large `_posts/` folder, in posts per second
(`make bench`), on SQLite and PostgreSQL: a first import into an empty blog, then the same
folder again (every file unchanged), then again after editing one post in ten.

    .venv/bin/python -m pytest -q -s tests/bench/bench_import.py

Environment: BENCH_IMPORT_FILES (3000), BENCH_BACKENDS (sqlite,postgresql),
BENCH_PG_URL (postgresql+psycopg://postgres@127.0.0.1:5432/test_bench), BENCH_RESULTS_IMPORT
(a Markdown file to write the table to).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from harness import format_table
from servers import flask_cli, reset_postgres_schema

FILES = int(os.environ.get("BENCH_IMPORT_FILES", "3000"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench")
ROWS: list[tuple] = []
TAGS = [f"Subject {n}" for n in range(60)]
BODY = """Intro paragraph number {n} with *emphasis*, a [link]({{{{ site.baseurl }}}}/about/) and
`inline code`.

<!--more-->

## A heading

- a list item
- another, with **bold**

```python
def post_{n}():
    return {n}
```

| a | b |
|---|---|
| {n} | {m} |

A closing paragraph with a footnote.[^1]

[^1]: The note.
"""


def write_posts(folder: Path, count: int, rng: random.Random, edition: int = 0) -> None:
    """`count` Jekyll posts with front matter, tags, code, a table and a footnote."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        year = 2000 + n // (28 * 12)
        tags = ", ".join(rng.sample(TAGS, 3))
        name = f"{year}-{month:02d}-{day:02d}-post-number-{n}.md"
        (folder / name).write_text(
            f"---\ntitle: 'Post number {n}, edition {edition}'\ntags: [{tags}]\n"
            f"categories: notes\n---\n\n" + BODY.format(n=n, m=n * 7)
        )


def import_folder(env: dict[str, str], folder: Path) -> tuple[float, str]:
    """Seconds `flask posts import` took, and its summary line."""
    started = time.perf_counter()
    output = flask_cli(env, "posts", "import", str(folder))
    return time.perf_counter() - started, output.strip().splitlines()[-1]


def fresh_database(backend: str, folder: Path) -> dict[str, str]:
    """An empty, migrated database."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'import.sqlite'}"
    else:
        url = PG_URL
        reset_postgres_schema(url)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "SITE_URL": "http://blog.example"}
    flask_cli(env, "db", "upgrade")
    return env


@pytest.mark.parametrize("backend", BACKENDS)
def test_import_speed(backend, tmp_path):
    posts = tmp_path / "_posts"
    write_posts(posts, FILES, random.Random(1))
    env = fresh_database(backend, tmp_path)
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    first, first_line = import_folder(env, posts)
    again, again_line = import_folder(env, posts)
    # Edit one post in ten (a new title): those are updated, the rest unchanged.
    edited = tmp_path / "_edited"
    write_posts(edited, FILES, random.Random(1))
    for path in sorted(edited.iterdir())[::10]:
        path.write_text(path.read_text().replace("edition 0", "edition 1"))
    for path in sorted(edited.iterdir()):
        path.replace(posts / path.name)
    edit, edit_line = import_folder(env, posts)
    assert f"{FILES} imported" in first_line, first_line
    assert f"{FILES} unchanged" in again_line, again_line
    assert f"{FILES // 10} updated" in edit_line, edit_line
    rows = [
        (f"{backend}: first import", FILES, round(first, 1), round(FILES / first)),
        (f"{backend}: again, all unchanged", FILES, round(again, 1), round(FILES / again)),
        (f"{backend}: one in ten edited", FILES, round(edit, 1), round(FILES / edit)),
    ]
    ROWS.extend(row + (load,) for row in rows)
    print()
    print(format_table(["import", "files", "seconds", "files/s", "load before"], ROWS[-3:]))


def test_import_summary():
    """All backends in one table (written to BENCH_RESULTS_IMPORT when set)."""
    if not ROWS:
        pytest.skip("no import measured")
    table = format_table(["import", "files", "seconds", "files/s", "load before"], ROWS)
    print()
    print(f"flask posts import of {FILES:,} files (whole process: start-up included)")
    print(table)
    destination = os.environ.get("BENCH_RESULTS_IMPORT")
    if destination:
        Path(destination).write_text(f"```\n{table}\n```\n")
