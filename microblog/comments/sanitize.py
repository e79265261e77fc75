"""The one place that turns a reader's text into HTML a page may show.

A comment's Markdown is rendered with a small subset (paragraphs, emphasis, code, links,
lists, quotes; raw HTML is escaped, not passed through), bare URLs are linkified, and the
result goes through an allow-list cleaner. The cleaner is the wall that matters: it is
swappable (`SANITIZER=bleach` or `nh3`) because bleach's project was archived in 2026, and
both backends are held to the same table of hostile cases in the tests.

Sanitising happens once, at submission; the stored HTML is what pages show. This module
reads no request and imports nothing from the views.
"""

from __future__ import annotations

import html as html_entities
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as etree

import markdown
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li"}
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
BACKENDS = ("bleach", "nh3")

# A bare http(s) URL in running text. Trailing punctuation is trimmed afterwards, and the
# stash markers Python-Markdown leaves in text (\x02 … \x03) end a URL.
BARE_URL = re.compile(r"https?://[^\s<>\"'\x02\x03]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,:;!?)]}'\""


# Explicit bidirectional formatting characters (ALM, LRM, RLM, the embeddings, overrides
# and isolates). A stranger's `http://a/\u202egnp.exe` shows as `…exe.png`: they have no
# place in what strangers write.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing: only whitespace, format (Cf: zero-width spaces, joiners,
    bidi marks, BOM) and control (Cc) characters."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


def strip_bidi_controls(text: str) -> str:
    """`text` without bidirectional formatting characters (names, bodies)."""
    return BIDI_CONTROLS.sub("", text)


def neutralise_bidi_in_url(url: str) -> str:
    """`url` with every bidi control percent-encoded: it still leads where it led, but
    shows as what it is (`%E2%80%AE`) instead of reordering the text around it."""
    return BIDI_CONTROLS.sub(lambda match: quote(match.group(0)), url)


def safe_href(value: str) -> bool:
    """Whether a link target may stay: an absolute http, https or mailto URL, nothing else.

    Relative links are refused too: a comment has no business pointing into the site's own
    paths, and it keeps both backends alike (bleach lets scheme-less URLs through).
    """
    value = value.strip()
    if not value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    # Whitespace, quotes and angle brackets never belong inside a URL (a link title that
    # Markdown left in the target); nh3 drops such an href, so bleach must too.
    if any(ch.isspace() or ch in "\"'<>`" for ch in value):
        return False
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return False
    return scheme in ALLOWED_SCHEMES


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """The allow-list for attributes, shared by both backends (values entity-decoded)."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return None
    if name == "href" and not safe_href(value):
        return None
    return value


def _filter_attribute_bleach(tag: str, name: str, value: str) -> bool:
    # bleach hands over attribute values with their character references as written
    # (Markdown writes a mailto autolink as `&#109;&#97;…`); nh3 hands them decoded. Judge
    # both by the decoded value, so the two keep the same links.
    return _filter_attribute(tag, name, html_entities.unescape(value)) is not None


# ---------------------------------------------------------------------------- backends


def _clean_with_bleach(html: str) -> str:
    import bleach

    # bleach re-exports html5lib's Filter here; types-bleach does not declare it.
    from bleach.html5lib_shim import Filter  # type: ignore[attr-defined]

    class LinkRelFilter(Filter):  # type: ignore[misc]  # bleach's Filter is untyped
        """Give every link the rel the page promises (after the sanitiser has run)."""

        def __iter__(self) -> Iterator[dict[str, Any]]:
            for token in super().__iter__():
                if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                    attrs = dict(token["data"])
                    attrs[(None, "rel")] = LINK_REL
                    token["data"] = attrs
                yield token

    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_filter_attribute_bleach,
        protocols=ALLOWED_SCHEMES,
        strip=True,
        strip_comments=True,
        filters=[LinkRelFilter],
    )
    return cleaner.clean(html)


def _filter_attribute_nh3(tag: str, name: str, value: str) -> str | None:
    # nh3 adds `rel` itself and then runs the filter over it too: let that one through.
    if (tag, name, value) == ("a", "rel", LINK_REL):
        return value
    return _filter_attribute(tag, name, value)


def _clean_with_nh3(html: str) -> str:
    import nh3

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # Content of these never becomes text: it was never meant to be read.
        clean_content_tags={"script", "style", "noscript", "svg", "math", "template"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute_nh3,
        url_schemes=set(ALLOWED_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


CLEANERS: dict[str, Callable[[str], str]] = {
    "bleach": _clean_with_bleach,
    "nh3": _clean_with_nh3,
}


def clean_html(html: str, backend: str = "bleach") -> str:
    """Reduce an HTML fragment to the allow-list, with the chosen backend."""
    try:
        cleaner = CLEANERS[backend]
    except KeyError:
        raise ValueError(f"unknown SANITIZER {backend!r}; use one of {BACKENDS}") from None
    return cleaner(html)


# ---------------------------------------------------------------------------- Markdown


class BareUrlLinker(Treeprocessor):
    """Turn bare http(s) URLs in text into links, outside links, code and pre."""

    SKIP = frozenset({"a", "code", "pre"})

    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, element: etree.Element) -> None:
        if element.tag in self.SKIP:
            return
        children = list(element)
        if element.text:
            text, links = self._split(element.text)
            element.text = text
            for offset, link in enumerate(links):
                element.insert(offset, link)
        for child in children:
            self._walk(child)
            if child.tail:
                tail, links = self._split(child.tail)
                child.tail = tail
                index = list(element).index(child) + 1
                for offset, link in enumerate(links):
                    element.insert(index + offset, link)

    @staticmethod
    def _split(text: str) -> tuple[str, list[etree.Element]]:
        """The text before the first URL, and link elements carrying the rest as tails."""
        head = None
        links: list[etree.Element] = []
        position = 0
        for match in BARE_URL.finditer(text):
            url = match.group(0).rstrip(TRAILING_PUNCTUATION)
            # Keep a closing parenthesis that belongs to the URL (Wikipedia style).
            while match.group(0)[len(url) : len(url) + 1] == ")" and url.count("(") > url.count(
                ")"
            ):
                url += ")"
            start, end = match.start(), match.start() + len(url)
            if head is None:
                head = text[:start]
            else:
                links[-1].tail = text[position:start]
            link = etree.Element("a", {"href": url})
            link.text = url
            links.append(link)
            position = end
        if head is None:
            return text, []
        links[-1].tail = text[position:]
        return head, links


# The budget of a comment's Markdown. Python-Markdown recurses once per level of nesting
# (a line of 1,666 `1. ` markers is a RecursionError) and scans ahead from every `[` for its
# closing bracket (5,000 `[` take seconds). Within these bounds every shape tried renders in
# well under a second (tests/test_properties.py searches for one that does not).
MARKDOWN_MAX_DEPTH = 16
MARKDOWN_MAX_BRACKETS = 250
MARKDOWN_MAX_CHARS = 10_000  # the form takes 5,000 (BODY_MAX); this bounds every caller
CONTAINER_MARKER = re.compile(r"[ \t]*(?:[-+*]|[0-9]{1,9}[.)]|>)(?=[ \t]|$)[ \t]*")


class CommentTooComplex(ValueError):
    """A comment's Markdown is past the budget; the message says what to change."""


def markdown_problem(source: str) -> str | None:
    """Why this comment's Markdown is past the budget (for the form), or None."""
    if len(source) > MARKDOWN_MAX_CHARS:
        return f"The comment is too long: at most {MARKDOWN_MAX_CHARS} characters."
    for line in source.splitlines():
        depth, position = 0, 0
        while depth <= MARKDOWN_MAX_DEPTH and (found := CONTAINER_MARKER.match(line, position)):
            depth, position = depth + 1, found.end()
            if found.end() == found.start():
                break
        indent = len(line) - len(line.lstrip(" \t"))
        if depth + indent // 4 > MARKDOWN_MAX_DEPTH:
            return (
                f"The comment nests lists or quotes more than {MARKDOWN_MAX_DEPTH} levels "
                "deep; please flatten it."
            )
    if source.count("[") > MARKDOWN_MAX_BRACKETS:
        return (
            f"The comment has {source.count('[')} square brackets; at most "
            f"{MARKDOWN_MAX_BRACKETS}, please."
        )
    return None


def _markdown() -> markdown.Markdown:
    """A Markdown renderer limited to what a comment needs; raw HTML comes out as text."""
    md = markdown.Markdown(extensions=["fenced_code"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    for name in ("hashheader", "setextheader", "hr"):
        md.parser.blockprocessors.deregister(name)
    for name in ("image_link", "image_reference", "short_image_ref"):
        md.inlinePatterns.deregister(name)
    md.treeprocessors.register(BareUrlLinker(md), "bare_urls", 5)
    return md


# What an imported comment's HTML may hide that the cleaner would turn into visible text
# (bleach keeps the words of a stripped <script>) or that a browser would decode into a bidi
# control after the cleaner ran (`&#8238;` is U+202E).
UNREADABLE_OPENING = re.compile(
    r"<(script|style|template|noscript|svg|math|iframe|object)\b[^>]{0,2000}>", re.IGNORECASE
)
BIDI_REFERENCES = re.compile(
    r"&(?:#x0*(?:61c|200e|200f|202[a-e]|206[6-9])|#0*(?:1564|8206|8207|823[4-8]|829[4-7])"
    r"|lrm|rlm|lre|rle|pdf|lro|rlo|lri|rli|fsi|pdi);",
    re.IGNORECASE,
)


def clean_imported_html(html: str, backend: str = "bleach") -> str:
    """An imported comment's HTML (a Disqus or WordPress export) reduced to the allow-list,
    as a reader's comment is: bidi controls out (also written as character references), the
    content of scripts, styles and frames dropped, then the cleaner."""
    html = strip_bidi_controls(BIDI_REFERENCES.sub("", html.replace("\x00", "")))
    return clean_html(_without_unreadable(html), backend).strip()


def _without_unreadable(html: str) -> str:
    """`html` without script-like elements and what they hold (an unclosed one holds the
    rest, as a browser reads it). One pass: hostile input cannot make it slow."""
    kept: list[str] = []
    position = 0
    while opening := UNREADABLE_OPENING.search(html, position):
        kept.append(html[position : opening.start()])
        closing = re.compile(rf"</{opening.group(1)}\s*>", re.IGNORECASE).search(
            html, opening.end()
        )
        position = closing.end() if closing else len(html)
    kept.append(html[position:])
    return "".join(kept)


def render_comment(source: str, backend: str = "bleach") -> str:
    """A comment's Markdown as safe HTML: the subset rendered, then the allow-list applied.

    Raises CommentTooComplex past the Markdown budget (validation refuses such a comment
    first, with the same message).
    """
    problem = markdown_problem(source)
    if problem:
        raise CommentTooComplex(problem)
    html = _markdown().convert(source.replace("\x00", ""))
    return clean_html(html, backend).strip()


def count_links(html: str) -> int:
    """How many links a sanitised fragment carries (a spam signal)."""
    return len(re.findall(r"<a\s", html))
