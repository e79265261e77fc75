"""The class "no post may live at an address the app answers otherwise", on SQLite and
PostgreSQL: one list (jekyll/permalinks.py) the writer asks, checked here against every route
the app has, so a route added later cannot be left out; the editor, Micropub and an import
all refuse such a permalink with a 4xx or a `failed:` line, never store an unreachable post."""

from __future__ import annotations

import re

import pytest
from editor_helpers import create_post, posts_in_db, signed_in

from microblog.jekyll import permalinks

SAMPLES = {"int": "7", "default": "x", "path": "posts/2025/01/hello/", "string": "x"}
CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def sample_paths(app) -> list[str]:
    """Every route of the app as a path a post might be given (the catch-all aside)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if (
            rule.rule == "/<path:path>"
            or "GET" not in (rule.methods or ())
            and "POST" not in (rule.methods or ())
        ):
            continue
        path = CONVERTER.sub(lambda m: SAMPLES.get(m.group(1) or "default", "x"), rule.rule)
        paths.add(re.sub(r"/{2,}", "/", path))
    return sorted(paths)


def test_every_route_of_the_app_is_refused_as_a_permalink(app):
    paths = sample_paths(app)
    assert "/feed.json" in paths and "/posts/2025/01/hello/comments" in paths  # the walk works
    allowed = [path for path in paths if permalinks.reserved_reason(path) is None]
    assert allowed == []


EXAMPLES = [
    "/feed.json",
    "/micropub",
    "/micropub/media",
    "/favicon.ico",
    "/opensearch.xml",
    "/replies/confirm/abc",
    "/moderate/abc",
    "/webmention",
    "/admin",
    "/search",
    "/.well-known/webfinger",
    "/posts/2025/01/hello/comments",
    "/posts/2025/01/hello/comments/feed.xml",
    "/posts/2025/01/hello/comments/12/edit",
    "/a/%2fb/",
    "/a/%5Cb/",
]


@pytest.mark.parametrize("permalink", EXAMPLES)
def test_the_editor_refuses_a_permalink_the_app_answers(app, permalink):
    answer = create_post(signed_in(app), permalink=permalink)
    assert 400 <= answer.status_code < 500, permalink
    assert posts_in_db(app) == []


@pytest.mark.parametrize(
    "permalink", ["/feed.json", "/posts/a/comments", "/micropub", "/replies/x/"]
)
def test_an_import_fails_such_a_post(app, runner, tmp_path, permalink):
    path = tmp_path / "2025-01-01-clash.md"
    path.write_text(f"---\ntitle: Clash\npermalink: {permalink}\n---\nText\n")
    result = runner.invoke(args=["posts", "import", str(path)])
    assert result.output.startswith("failed: ") and posts_in_db(app) == []


@pytest.mark.parametrize(
    "permalink", ["/posts/a/", "/notes/comment/", "/commentsary/", "/feed.xml.html"]
)
def test_ordinary_permalinks_stay_allowed(permalink):
    assert permalinks.reserved_reason(permalink) is None
