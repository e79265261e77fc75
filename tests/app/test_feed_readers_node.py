"""What node feed readers show for the blog's feeds (see test_feed_readers.py for the
Python ones): feedsmith, rss-parser and @extractus/feed-extractor, installed from npm by
`make checkers` (package.json). Skipped, saying why, where node or those packages are not
installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from feed_samples import check_headlines, saved_feeds
from servers import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "tests" / "node" / "read_feeds.mjs"
PACKAGES = ("feedsmith", "rss-parser", "@extractus/feed-extractor")


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the node feed readers cannot run")
    missing = [p for p in PACKAGES if not (PROJECT_ROOT / "node_modules" / p).is_dir()]
    if missing:
        pytest.skip(f"npm packages not installed ({', '.join(missing)}): run `make checkers`")
    return node


@pytest.fixture
def headlines(make_app, write_post, tmp_path) -> dict[str, dict[str, list[str]]]:
    node = node_or_skip()
    files = saved_feeds(make_app, write_post, tmp_path / "feeds")
    done = subprocess.run(
        [node, str(SCRIPT), *(f"{kind}={path}" for kind, path in files.items())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("reader", "kind"),
    [
        ("feedsmith", "rss"),
        ("feedsmith", "atom"),
        ("feedsmith", "json"),
        ("rss-parser", "rss"),
        ("rss-parser", "atom"),
        ("feed-extractor", "rss"),
        ("feed-extractor", "atom"),
        ("feed-extractor", "json"),
    ],
)
def test_node_readers_show_no_url_as_a_title(headlines, reader, kind):
    check_headlines(kind, headlines[reader][kind])
