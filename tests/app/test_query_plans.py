"""Every query behind a page or a feed is answered from an index, so no page gets slower to
render as the blog grows: SQLite's EXPLAIN QUERY PLAN shows no table SCAN and no temporary
sort, PostgreSQL's EXPLAIN (with sequential scans priced out) shows no Seq Scan."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE_PERMALINK, EXAMPLE_POST
from sqlalchemy import event

from microblog.extensions import db

# Each database plans its own queries: both are checked. (A page renders in a snapshot
# transaction of its own, which cannot join a rolled-back test transaction.)
pytestmark = pytest.mark.any_database(cleanup=True)

PAGES = [
    "/",
    "/?page=2",
    EXAMPLE_PERMALINK,
    EXAMPLE_PERMALINK + "comments/feed.xml",
    "/tags/topic-1/",
    "/tags/topic-1/?page=2",
    "/tags/topic-1/feed.xml",
    "/tags/topic-1/atom.xml",
    "/tags/generative-ai/",
    "/feed.xml",
    "/atom.xml",
]
# Whole-site listings read every row by design (and are cached): /tags/ and /sitemap.xml.


@pytest.fixture
def seeded(app, runner):
    """The example post and a few hundred seeded posts with comments."""
    assert runner.invoke(args=["posts", "import", str(EXAMPLE_POST)]).exit_code == 0
    seed = ["dev", "seed", "--posts", "200", "--comments", "600", "--tags", "20"]
    done = runner.invoke(args=seed)
    assert done.exit_code == 0, done.output
    return app


def statements_for(app, path: str) -> list[tuple[str, object]]:
    """The SQL statements a fresh render of `path` runs, with their parameters."""
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    app.extensions["response_cache"].clear()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        response = app.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert response.status_code == 200, (path, response.status_code)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def plan(app, statement: str, parameters) -> str:
    """The query plan of one statement, as text."""
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            text = "\n".join(row[-1] for row in rows)
        else:
            # On a small table a sequential scan is cheapest; price it out so the plan shows
            # whether an index *can* answer the query.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            text = "\n".join(row[0] for row in rows)
        db.session.rollback()
    return text


def full_scans(app, query_plan: str) -> list[str]:
    """The lines of a plan that read a whole table or sort a whole result."""
    with app.app_context():
        dialect = db.engine.dialect.name
    lines = query_plan.splitlines()
    if dialect == "sqlite":
        return [
            line
            for line in lines
            if (line.startswith("SCAN ") and "CONSTANT ROW" not in line) or "TEMP B-TREE" in line
            # The authors table holds the blog's author (one row): reading it whole is the
            # lookup (the fediverse handle on listings names the first author).
            if not line.startswith("SCAN authors")
        ]
    return [line for line in lines if "Seq Scan" in line]


@pytest.mark.parametrize("path", PAGES)
def test_page_and_feed_queries_use_indexes(seeded, path):
    statements = statements_for(seeded, path)
    assert statements, "the page ran no query (was it served from the cache?)"
    for statement, parameters in statements:
        query_plan = plan(seeded, statement, parameters)
        assert not full_scans(seeded, query_plan), f"{path}:\n{statement}\n{query_plan}"
