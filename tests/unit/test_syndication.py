"""The feed builder alone: posts and settings in, RSS/Atom bytes out, no app, no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import feedparser
import lxml.html
import pytest
from lxml import etree

from microblog.feeds import (
    FeedScope,
    FeedSettings,
    absolute_srcset,
    absolutize_html,
    build_feed,
    xml_text,
)

SITE = "http://blog.example"
SETTINGS = FeedSettings(
    site_url=SITE,
    title="Test Blog",
    description="Notes.",
    author="Ada Author",
    language="en",
    ttl_minutes=5,
)
ATOM = "{http://www.w3.org/2005/Atom}"
KINDS = ["rss", "atom"]
VERSIONS = {"rss": "rss20", "atom": "atom10"}
SELF_PATHS = {"rss": "/feed.xml", "atom": "/atom.xml"}


@dataclass
class FakePost:
    """What the builder reads from a post."""

    title: str = "A post"
    permalink: str = "/posts/2025/09/a-post/"
    published_at: datetime = datetime(2025, 9, 30, tzinfo=UTC)
    last_modified_at: datetime | None = None
    tag_names: list[str] = field(default_factory=lambda: ["Generative AI", "Deep learning"])
    excerpt_html: str = "<p>The excerpt.</p>"
    body_html: str = "<p>The excerpt.</p>\n<p>The rest of the body.</p>"


def build(kind: str, posts, settings: FeedSettings = SETTINGS, **kwargs) -> bytes:
    """The feed's bytes with the site feed's paths unless told otherwise."""
    kwargs.setdefault("self_path", SELF_PATHS[kind])
    if kwargs.get("page") is None:
        kwargs.pop("page", None)
    return build_feed(kind, posts, settings, FeedScope(**kwargs))


def parse(kind: str, posts, settings: FeedSettings = SETTINGS, **kwargs):
    """Build a feed, check it is well-formed and of the right kind, and parse it."""
    body = build(kind, posts, settings, **kwargs)
    etree.fromstring(body)  # well-formed XML, or this raises
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == VERSIONS[kind]
    return parsed


@pytest.mark.parametrize("kind", KINDS)
def test_entry_carries_what_a_reader_shows(kind):
    post = FakePost(last_modified_at=datetime(2025, 10, 2, 8, 30, tzinfo=UTC))
    entry = parse(kind, [post]).entries[0]
    url = SITE + post.permalink
    assert entry.title == "A post"
    assert entry.link == url
    assert entry.id == url
    assert entry.published_parsed[:3] == (2025, 9, 30)
    assert entry.updated_parsed[:5] == (2025, 10, 2, 8, 30)
    assert entry.author == "Ada Author"
    assert [tag.term for tag in entry.tags] == ["Generative AI", "Deep learning"]
    assert entry.summary == "<p>The excerpt.</p>"
    assert entry.content[0].value == post.body_html
    assert entry.content[0].type == "text/html"


@pytest.mark.parametrize("kind", KINDS)
def test_updated_is_published_when_never_modified(kind):
    entry = parse(kind, [FakePost()]).entries[0]
    assert entry.updated_parsed[:3] == (2025, 9, 30)


def test_rss_guid_is_the_permalink_url():
    root = etree.fromstring(build("rss", [FakePost()]))
    guid = root.find("channel/item/guid")
    assert guid.text == SITE + "/posts/2025/09/a-post/"
    assert guid.get("isPermaLink") == "true"


@pytest.mark.parametrize("kind", KINDS)
def test_channel(kind):
    feed = parse(kind, [FakePost()]).feed
    assert feed.title == "Test Blog"
    assert feed.link == SITE + "/"
    assert feed.language == "en"
    self_links = [link.href for link in feed.links if link.rel == "self"]
    assert self_links == [SITE + SELF_PATHS[kind]]
    assert feed.subtitle == "Notes."


@pytest.mark.parametrize("kind", KINDS)
def test_tag_channel_names_the_tag(kind):
    path = "/tags/generative-ai/" + SELF_PATHS[kind].lstrip("/")
    feed = parse(
        kind,
        [FakePost()],
        self_path=path,
        page_path="/tags/generative-ai/",
        tag_name="Generative AI",
    ).feed
    assert feed.title == "Test Blog — Generative AI"
    assert feed.link == SITE + "/tags/generative-ai/"
    assert [link.href for link in feed.links if link.rel == "self"] == [SITE + path]


@pytest.mark.parametrize("kind", KINDS)
def test_feed_updated_is_the_newest_change_not_now(kind):
    posts = [
        FakePost(published_at=datetime(2025, 9, 30, tzinfo=UTC)),
        FakePost(
            permalink="/old/",
            published_at=datetime(2024, 1, 1, tzinfo=UTC),
            last_modified_at=datetime(2025, 11, 5, 12, 0, tzinfo=UTC),
        ),
    ]
    feed = parse(kind, posts).feed
    assert feed.updated_parsed[:5] == (2025, 11, 5, 12, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_same_posts_give_the_same_bytes(kind):
    posts = [FakePost(), FakePost(permalink="/two/", title="Two")]
    assert build(kind, posts) == build(kind, posts)


@pytest.mark.parametrize("kind", KINDS)
def test_entries_keep_the_given_order(kind):
    posts = [FakePost(title="Newest", permalink="/n/"), FakePost(title="Older", permalink="/o/")]
    assert [entry.title for entry in parse(kind, posts).entries] == ["Newest", "Older"]


@pytest.mark.parametrize("kind", KINDS)
def test_generator_has_no_version(kind):
    body = build(kind, [FakePost()]).decode()
    assert "<generator>microblog</generator>" in body
    assert "version=" not in body.split("<generator", 1)[1].split(">", 1)[0]


@pytest.mark.parametrize("kind", KINDS)
def test_markup_in_a_title_is_text_not_double_escaped(kind):
    title = '<b>Bold</b> & "quotes"'
    parsed = parse(kind, [FakePost(title=title)], tag_name="<i>Tag</i> & co")
    assert parsed.entries[0].title == title
    assert parsed.feed.title == "Test Blog — <i>Tag</i> & co"
    body = build(kind, [FakePost(title=title)]).decode()
    assert "&amp;lt;" not in body.split("<item>" if kind == "rss" else "<entry>", 1)[1][:200]


FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("char", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_characters_xml_forbids_are_removed(kind, char):
    post = FakePost(
        title=f"Bad{char}title",
        tag_names=[f"Tag{char}"],
        excerpt_html=f"<p>Ex{char}cerpt</p>",
        body_html=f"<p>Bo{char}dy</p>",
    )
    settings = replace(SETTINGS, title=f"Blog{char}", author=f"Ada{char}")
    entry = parse(kind, [post], settings).entries[0]
    assert entry.title == "Badtitle"
    assert [tag.term for tag in entry.tags] == ["Tag"]
    assert entry.summary == "<p>Excerpt</p>"
    assert entry.content[0].value == "<p>Body</p>"


def test_allowed_whitespace_and_unicode_survive():
    text = "tab\tnewline\ncr\r é — 日本 🙂"
    assert xml_text(text) == text


@pytest.mark.parametrize("kind", KINDS)
def test_excerpts_only_when_full_text_is_off(kind):
    entry = parse(kind, [FakePost()], replace(SETTINGS, full_text=False)).entries[0]
    assert entry.summary == "<p>The excerpt.</p>"
    assert "content" not in entry
    assert b"content:encoded" not in build(kind, [FakePost()], replace(SETTINGS, full_text=False))


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_feed_is_still_valid(kind):
    parsed = parse(kind, [])
    assert parsed.entries == []
    assert parsed.feed.updated_parsed[:3] == (1970, 1, 1)


PAGE = SITE + "/posts/2025/09/a-post/"

LINK_CASES = [
    ('<img src="img.png">', f'<img src="{PAGE}img.png">'),
    ('<img src="./img.png">', f'<img src="{PAGE}img.png">'),
    ('<img src="../other/img.png">', f'<img src="{SITE}/posts/2025/09/other/img.png">'),
    ('<a href="/about/">x</a>', f'<a href="{SITE}/about/">x</a>'),
    ('<a href="#notes">x</a>', f'<a href="{PAGE}#notes">x</a>'),
    ('<a href="?q=1">x</a>', f'<a href="{PAGE}?q=1">x</a>'),
    ('<a href="//cdn.example/x.js">x</a>', '<a href="http://cdn.example/x.js">x</a>'),
    ('<a href="https://else.example/p">x</a>', '<a href="https://else.example/p">x</a>'),
    ('<a href="mailto:a@b.example">x</a>', '<a href="mailto:a@b.example">x</a>'),
    ('<img src="data:image/png;base64,AAAA">', '<img src="data:image/png;base64,AAAA">'),
    (
        '<img srcset="a.png 1x, /b.png 2x">',
        f'<img srcset="{PAGE}a.png 1x, {SITE}/b.png 2x">',
    ),
    (
        '<picture><source srcset="/w.webp 480w,big.webp 1024w"></picture>',
        f'<picture><source srcset="{SITE}/w.webp 480w, {PAGE}big.webp 1024w"></picture>',
    ),
    (
        '<video poster="p.jpg" src="/v.mp4"></video>',
        f'<video poster="{PAGE}p.jpg" src="{SITE}/v.mp4"></video>',
    ),
    ('<audio><source src="a.ogg"></audio>', f'<audio><source src="{PAGE}a.ogg"></audio>'),
    ('<blockquote cite="/src/">q</blockquote>', f'<blockquote cite="{SITE}/src/">q</blockquote>'),
    (
        '<p>text &amp; <a href="x/">link</a> tail</p>\n<p>two</p>',
        f'<p>text &amp; <a href="{PAGE}x/">link</a> tail</p>\n<p>two</p>',
    ),
    (
        "<p style=\"background: url('bg.png')\">x</p>",
        f"<p style=\"background: url('{PAGE}bg.png')\">x</p>",
    ),
    ('<p>a<wbr>b</p><embed src="/e.swf">', f'<p>a<wbr>b</p><embed src="{SITE}/e.swf">'),
    ('<img src="/a.png?x=1&amp;y=2" />', f'<img src="{SITE}/a.png?x=1&amp;y=2" />'),
    (
        '<P CLASS=x>\n  <IMG\n SRC=i.png ALT="a &amp; b">\n</P>',
        f'<P CLASS=x>\n  <img src="{PAGE}i.png" alt="a &amp; b">\n</P>',
    ),
    ('<a href="https://else.example/">already</a>', '<a href="https://else.example/">already</a>'),
    ('<pre><code>&lt;a href="x"&gt;</code></pre>', '<pre><code>&lt;a href="x"&gt;</code></pre>'),
    ('<a href="http://[broken">x</a>', '<a href="http://[broken">x</a>'),
    ('<a href="//[broken">x</a>', '<a href="//[broken">x</a>'),
    ("plain text, no markup", "plain text, no markup"),
    ("", ""),
]


@pytest.mark.parametrize(("html", "expected"), LINK_CASES)
def test_relative_links_become_absolute(html, expected):
    assert absolutize_html(html, SITE, PAGE) == expected


def test_site_root_links_keep_a_site_url_path():
    site = "https://host.example/blog"
    page = site + "/posts/x/"
    html = '<a href="/about/">a</a><img src="i.png">'
    assert absolutize_html(html, site, page) == (
        f'<a href="{site}/about/">a</a><img src="{page}i.png">'
    )


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.png", f"{PAGE}a.png"),
        ("a.png 1x,b.png 2x", f"{PAGE}a.png 1x, {PAGE}b.png 2x"),
        ("  a.png   1x ,  b.png 2x  ", f"{PAGE}a.png 1x, {PAGE}b.png 2x"),
        ("a.png, b.png 2x", f"{PAGE}a.png, {PAGE}b.png 2x"),
        ("data:image/png;base64,AA 1x, /b.png 2x", f"data:image/png;base64,AA 1x, {SITE}/b.png 2x"),
    ],
)
def test_srcset_candidates(srcset, expected):
    assert absolute_srcset(srcset, lambda url: absolutize_url(url)) == expected


def absolutize_url(url: str) -> str:
    from microblog.feeds import absolute_url

    return absolute_url(url, SITE, PAGE)


@pytest.mark.parametrize("kind", KINDS)
def test_feed_html_has_only_absolute_links(kind):
    post = FakePost(
        excerpt_html='<p><a href="/tags/x/">tag</a></p>',
        body_html='<p><img src="figure.png" alt="f"> <a href="../b/">prev</a></p>',
    )
    entry = parse(kind, [post]).entries[0]
    assert links_in(entry.summary) == [f"{SITE}/tags/x/"]
    assert links_in(entry.content[0].value) == [f"{PAGE}figure.png", f"{SITE}/posts/2025/09/b/"]


def links_in(html: str) -> list[str]:
    """Every href and src in `html`, in document order."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [
        value for element in root.iter() for key, value in element.items() if key in {"href", "src"}
    ]


def test_atom_structure_follows_rfc_4287():
    """Every element a valid Atom feed must have, where the RFC wants it."""
    root = etree.fromstring(build("atom", [FakePost(), FakePost(permalink="/two/")]))
    assert root.tag == ATOM + "feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(ATOM + name)) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Ada Author"
    entries = root.findall(ATOM + "entry")
    assert len(entries) == 2
    ids = [entry.findtext(ATOM + "id") for entry in entries]
    assert len(set(ids)) == 2
    for entry in entries:
        for name in ("id", "title", "updated", "published"):
            assert len(entry.findall(ATOM + name)) == 1, name
        # feedgen 1.0 drops an entry link's rel and type; the builder puts them back.
        links = [(link.get("rel"), link.get("type")) for link in entry.findall(ATOM + "link")]
        assert links == [("alternate", "text/html"), ("replies", "application/atom+xml")]
        assert entry.find(ATOM + "content").get("type") == "html"
        assert entry.find(ATOM + "summary").get("type") == "html"
        datetime.fromisoformat(entry.findtext(ATOM + "updated"))


def test_rss_structure():
    root = etree.fromstring(build("rss", [FakePost()]))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for name in ("title", "link", "description", "language", "lastBuildDate", "ttl"):
        assert channel.find(name) is not None, name
    assert channel.findtext("link") == SITE + "/"
    assert channel.findtext("ttl") == "5"
    item = channel.find("item")
    for name in ("title", "link", "description", "guid", "pubDate"):
        assert item.find(name) is not None, name
    assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ada Author"
    assert item.findtext(ATOM + "updated") == "2025-09-30T00:00:00+00:00"
