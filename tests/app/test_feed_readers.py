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
from comment_helpers import create_author
from reader import make_reader

SITE = "http://blog.example"
FEEDS = {"rss": "/feed.xml", "atom": "/atom.xml", "json": "/feed.json"}
NOTE = "Just a short thought about gardens and the rain this morning, nothing more to it."
TITLE = "A proper titled post"


@pytest.fixture
def feeds(make_app, write_post, tmp_path) -> dict[str, Path]:
    """The site's three feeds, with one note and one titled post, saved as files."""
    app = make_app(SITE_URL=SITE)
    titled = write_post(
        "2025-03-01-titled.md",
        f"---\ntitle: {TITLE}\ndate: 2025-03-01 10:00:00 +0000\n---\nSome words.\n",
    )
    result = app.test_cli_runner().invoke(args=["posts", "import", str(titled)])
    assert result.exit_code == 0, result.output
    # A note as apps write them: Micropub with content and no name.
    create_author(app)
    token = app.test_cli_runner().invoke(args=["author", "token", "author"]).stdout.strip()
    client = app.test_client()
    made = client.post(
        "/micropub",
        data={"h": "entry", "content": NOTE, "published": "2025-03-02T10:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201
    saved = {}
    folder = tmp_path / "feeds"
    folder.mkdir()
    for kind, path in FEEDS.items():
        response = client.get(path)
        assert response.status_code == 200
        saved[kind] = folder / f"feed.{'json' if kind == 'json' else 'xml'}.{kind}"
        saved[kind].write_bytes(response.data)
    return saved


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


def check(kind: str, headlines: list[str]) -> None:
    """Two entries: no headline is a URL; the titled post's is its title; the note's, in
    Atom (which requires a title), its first words, and in RSS / JSON Feed, none."""
    assert len(headlines) == 2, headlines
    assert not any(h.startswith(("http://", "https://")) or SITE in h for h in headlines)
    assert TITLE in headlines
    note = [h for h in headlines if h != TITLE][0]
    if kind == "atom":
        assert note.startswith("Just a short thought") and len(note) < len(NOTE)
    else:
        assert note == ""


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
    json_file = feeds["json"].with_name("feed.json")
    json_file.write_bytes(feeds["json"].read_bytes())
    check("json", headlines_from_reader(json_file))
