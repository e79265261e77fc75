"""Reading a Webmention's source page: does it link to the target, and what is it?

Pure: HTML and URLs in, a `Mention` out. Microformats2 by mf2py, as any other site's parser
would read the page: the first h-entry is the response; `in-reply-to`, `like-of`,
`repost-of` naming the target make it a reply, like or repost, anything else a mention.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import mf2py  # type: ignore[import-untyped]

KIND_PROPERTIES = (
    ("in-reply-to", "reply"),
    ("like-of", "like"),
    ("repost-of", "repost"),
)
LINK_ATTRIBUTES = {"href", "src", "cite", "data"}


@dataclass(frozen=True)
class Mention:
    """What a source page says about the target."""

    kind: str  # reply, like, repost, mention
    author_name: str
    author_url: str | None
    author_photo: str | None
    content_html: str
    content_text: str


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


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value:
                self.urls.append(urljoin(self.base, value.strip()))


def links_to(html: str, base_url: str, target: str) -> bool:
    """Whether the page links to `target` (an href, src… resolved against the page's URL)."""
    parser = _Links(base_url)
    parser.feed(html)
    parser.close()
    return any(same_url(url, target) for url in parser.urls)


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


def read_mention(html: str, source_url: str, target: str) -> Mention:
    """The source page as a response to `target` (a mention when it has no h-entry)."""
    parsed = mf2py.parse(doc=html, url=source_url, html_parser="html.parser")
    entries = _entries(parsed.get("items", []))
    entry = entries[0] if entries else {"properties": {}}
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
        kind=kind,
        author_name=(name if isinstance(name, str) and name.strip() else host).strip()[:100],
        author_url=_http_or_none(url),
        author_photo=_http_or_none(photo),
        content_html=content_html,
        content_text=content_text.strip(),
    )
