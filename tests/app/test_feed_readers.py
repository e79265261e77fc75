"""What real feed readers show for the blog's feeds: a note (a post without a title) never
has its URL as its headline, in RSS, Atom or JSON Feed, and a titled post keeps its title.

Read by feedparser, atoma and the lemon24 `reader` library (which reads feeds from files
under its `feed_root`), each as the software a subscriber runs, not our own parser.
"""

from __future__ import annotations

from pathlib import Path

import atoma
import feedparser
import pytest
from feed_samples import FEEDS, check_headlines, saved_feeds
from reader import make_reader


@pytest.fixture
def feeds(make_app, write_post, tmp_path) -> dict[str, Path]:
    return saved_feeds(make_app, write_post, tmp_path / "feeds")


def headlines_from_feedparser(path: Path) -> list[str]:
    return [entry.get("title", "") for entry in feedparser.parse(path.read_bytes()).entries]


def headlines_from_atoma(kind: str, path: Path) -> list[str]:
    if kind == "rss":
        return [item.title or "" for item in atoma.parse_rss_bytes(path.read_bytes()).items]
    if kind == "atom":
        feed = atoma.parse_atom_bytes(path.read_bytes())
        return [entry.title.value if entry.title else "" for entry in feed.entries]
    return [item.title or "" for item in atoma.parse_json_feed_bytes(path.read_bytes()).items]


def headlines_from_reader(path: Path) -> list[str]:
    library = make_reader(":memory:", feed_root=str(path.parent))
    try:
        library.add_feed(path.name)
        library.update_feeds()
        entries = sorted(library.get_entries(), key=lambda e: e.published or e.updated)
        return [entry.title or "" for entry in entries]
    finally:
        library.close()


check = check_headlines


@pytest.mark.parametrize("kind", ["rss", "atom"])  # feedparser 6 reads no JSON Feed
def test_feedparser_shows_no_url_as_a_title(feeds, kind):
    check(kind, headlines_from_feedparser(feeds[kind]))


@pytest.mark.parametrize("kind", list(FEEDS))
def test_atoma_shows_no_url_as_a_title(feeds, kind):
    check(kind, headlines_from_atoma(kind, feeds[kind]))


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_reader_library_shows_no_url_as_a_title(feeds, kind):
    # `reader` reads RSS and Atom through feedparser and JSON Feed with its own parser;
    # it picks the parser by the file's type, so JSON Feed is given as a .json file.
    check(kind, headlines_from_reader(feeds[kind]))


def test_the_reader_library_reads_the_json_feed(feeds):
    check("json", headlines_from_reader(feeds["json"]))
