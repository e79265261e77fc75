"""Reading a Webmention's source page: does it link to the target, and what is it?

Pure: HTML and URLs in, a `Mention` out. Microformats2 by mf2py, as any other site's parser
would read the page: the first h-entry is the response; `in-reply-to`, `like-of`,
`repost-of` naming the target make it a reply, like or repost, anything else a mention.

A stranger writes the page, so its cost is bounded before any Python walks it: the page is
parsed once by lxml (C, linear, and it stops nesting at 256 levels), then refused as
`TooComplex` when it nests deeper than `MAX_DEPTH` or holds more than `MAX_ELEMENTS`; mf2py
(recursive, and slow per element) reads only the first h-entry, at most
`MAX_ENTRY_ELEMENTS` elements. 1 MB of nested `<b>` took 6 s and ended in a RecursionError;
it is now refused in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

KIND_PROPERTIES = (
    ("in-reply-to", "reply"),
    ("like-of", "like"),
    ("repost-of", "repost"),
)
LINK_ATTRIBUTES = ("href", "src", "cite", "data")
MAX_DEPTH = 100
MAX_ELEMENTS = 50_000
MAX_ENTRY_ELEMENTS = 3_000


class TooComplex(ValueError):
    """The page nests too deeply or holds too many elements to be read at a bounded cost."""


@dataclass(frozen=True)
class Mention:
    """What a source page says about the target."""

    kind: str  # reply, like, repost, mention
    author_name: str
    author_url: str | None
    author_photo: str | None
    content_html: str
    content_text: str
    # When the source says it was written (dt-published), if it says so readably.
    published: datetime | None = None


def same_url(a: str, b: str) -> bool:
    """Whether two absolute URLs name the same page (scheme and host case, fragment and a
    missing root path aside)."""

    def key(url: str) -> tuple[str, ...]:
        parts = urlsplit(url.strip())
        return (
            parts.scheme.lower(),
            parts.netloc.lower(),
            parts.path or "/",
            parts.query,
        )

    return key(a) == key(b)


def parse_page(html: str) -> lxml.html.HtmlElement:
    """The page as a tree, once its size is known to be readable (else TooComplex)."""
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except lxml.etree.ParserError:  # an empty document
        root = lxml.html.document_fromstring(b"<html></html>", parser=parser)
    depth = deepest = elements = 0
    for event, _element in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            elements += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    if deepest > MAX_DEPTH:
        raise TooComplex(f"the page nests more than {MAX_DEPTH} elements deep")
    if elements > MAX_ELEMENTS:
        raise TooComplex(f"the page holds more than {MAX_ELEMENTS} elements")
    return root


def _elements(root: lxml.html.HtmlElement) -> Any:
    return (element for element in root.iter() if isinstance(element.tag, str))


def links_to(html: str | lxml.html.HtmlElement, base_url: str, target: str) -> bool:
    """Whether the page links to `target` (an href, src… resolved against the page's URL)."""
    root = parse_page(html) if isinstance(html, str) else html
    for element in _elements(root):
        for name in LINK_ATTRIBUTES:
            value = element.get(name)
            if value and same_url(urljoin(base_url, value.strip()), target):
                return True
    return False


def first_entry(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The first element in document order whose class names it an h-entry."""
    for element in _elements(root):
        if "h-entry" in (element.get("class") or "").split():
            return element
    return None


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def _url_of(value: Any) -> str | None:
    """A property value as a URL: a plain string, or an embedded h-* item's url."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "properties" in value:
            return _url_of(_first(value["properties"].get("url")))
        if "value" in value and isinstance(value["value"], str):
            return value["value"]
    return None


def _entries(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append(item)
        found += _entries(item.get("children", []))
    return found


def _http_or_none(url: str | None) -> str | None:
    if url and urlsplit(url).scheme in ("http", "https"):
        return urlunsplit(urlsplit(url))[:1000]
    return None


def _entry_properties(root: lxml.html.HtmlElement, source_url: str) -> dict[str, Any]:
    """mf2py's reading of the page's first h-entry (only that element: bounded)."""
    element = first_entry(root)
    if element is None:
        return {}
    if sum(1 for _ in _elements(element)) > MAX_ENTRY_ELEMENTS:
        raise TooComplex(f"the h-entry holds more than {MAX_ENTRY_ELEMENTS} elements")
    base = root.find(".//base[@href]")
    url = urljoin(source_url, base.get("href", "").strip()) if base is not None else source_url
    fragment = lxml.html.tostring(element, encoding="unicode")
    # Imported here: mf2py brings BeautifulSoup, html5lib and requests (~0.2 s), which
    # every CLI command and worker boot would pay for otherwise.
    import mf2py  # type: ignore[import-untyped]

    parsed = mf2py.parse(doc=fragment, url=url, html_parser="html.parser")
    entries = _entries(parsed.get("items", []))
    return dict(entries[0].get("properties", {})) if entries else {}


def published_of(value: Any) -> datetime | None:
    """A dt-published value as an aware UTC instant (a date without an offset is taken as
    UTC); None when it is not a date-time Python can read."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def read_mention(html: str | lxml.html.HtmlElement, source_url: str, target: str) -> Mention:
    """The source page as a response to `target` (a mention when it has no h-entry)."""
    root = parse_page(html) if isinstance(html, str) else html
    entry = {"properties": _entry_properties(root, source_url)}
    properties = entry.get("properties", {})
    kind = "mention"
    for prop, candidate in KIND_PROPERTIES:
        if any(same_url(_url_of(v) or "", target) for v in properties.get(prop, [])):
            kind = candidate
            break
    author = _first(properties.get("author"))
    name: Any = None
    url: str | None = None
    photo: str | None = None
    if isinstance(author, dict) and "properties" in author:
        card = author["properties"]
        name = _first(card.get("name"))
        url = _url_of(_first(card.get("url")))
        photo = _url_of(_first(card.get("photo")))
    elif isinstance(author, str):
        name = author
    content = _first(properties.get("content"))
    if isinstance(content, dict):
        content_html, content_text = content.get("html", ""), content.get("value", "")
    else:
        summary = _first(properties.get("summary")) or _first(properties.get("name")) or ""
        content_html = ""
        content_text = summary if isinstance(summary, str) else ""
    host = urlsplit(source_url).hostname or source_url
    return Mention(
        published=published_of(_first(properties.get("published"))),
        kind=kind,
        author_name=(name if isinstance(name, str) and name.strip() else host).strip()[:100],
        author_url=_http_or_none(url),
        author_photo=_http_or_none(photo),
        content_html=content_html,
        content_text=content_text.strip(),
    )
