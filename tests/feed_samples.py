"""The blog's three feeds with one note (a post without a title, written by Micropub as
apps write them) and one titled post, saved as files for feed readers to read."""

from __future__ import annotations

from pathlib import Path

from comment_helpers import create_author

SITE = "http://blog.example"
FEEDS = {"rss": "/feed.xml", "atom": "/atom.xml", "json": "/feed.json"}
NOTE = "Just a short thought about gardens and the rain this morning, nothing more to it."
TITLE = "A proper titled post"


def saved_feeds(make_app, write_post, folder: Path) -> dict[str, Path]:
    """kind → the file holding that feed (`feed.rss.xml`, `feed.atom.xml`, `feed.json`)."""
    app = make_app(SITE_URL=SITE)
    titled = write_post(
        "2025-03-01-titled.md",
        f"---\ntitle: {TITLE}\ndate: 2025-03-01 10:00:00 +0000\n---\nSome words.\n",
    )
    result = app.test_cli_runner().invoke(args=["posts", "import", str(titled)])
    assert result.exit_code == 0, result.output
    create_author(app)
    token = app.test_cli_runner().invoke(args=["author", "token", "author"]).stdout.strip()
    client = app.test_client()
    made = client.post(
        "/micropub",
        data={"h": "entry", "content": NOTE, "published": "2025-03-02T10:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201
    folder.mkdir(exist_ok=True)
    saved = {}
    for kind, path in FEEDS.items():
        response = client.get(path)
        assert response.status_code == 200
        saved[kind] = folder / ("feed.json" if kind == "json" else f"feed.{kind}.xml")
        saved[kind].write_bytes(response.data)
    return saved


def check_headlines(kind: str, headlines: list[str]) -> None:
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
