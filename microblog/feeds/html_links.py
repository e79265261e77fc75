"""Relative links in a post's HTML made absolute, for feed readers (who have no base URL).

Pure: HTML in, HTML out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Attributes whose value is one URL, and those that hold a list of image candidates.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "poster",
        "cite",
        "action",
        "formaction",
        "background",
        "longdesc",
        "data",
        "usemap",
        "xlink:href",
    }
)
SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
# A quick look before parsing: HTML without any of these has nothing to rewrite.
URL_ATTRIBUTE_HINT = re.compile(
    r"(?:href|src|srcset|poster|cite|action|background|longdesc|data|usemap|style)\s*=",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")


def absolute_url(url: str, site_url: str, page_url: str) -> str:
    """`url` made absolute: `/x` against the site, `x` and `../x` against the page.

    A path that already starts with the site's base path (`/notes/x` on a site at
    `https://h/notes`, as Jekyll's `relative_url` writes it) is taken as the browser takes
    it, against the host: the base path is not added twice."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        base = urlsplit(site_url).path.rstrip("/")
        if base and (url == base or url.startswith(base + "/")):
            return site_url[: len(site_url) - len(base)] + url
        return site_url + url
    try:
        return urljoin(page_url, url)
    except ValueError:  # not a URL at all (`http://[oops`): leave it as the author wrote it
        return url


def absolute_srcset(value: str, absolute: Callable[[str], str]) -> str:
    """A `srcset` with each candidate's URL made absolute, its descriptor kept.

    Follows the HTML parsing rules: a URL runs to the next whitespace and may itself hold
    commas (a `data:` URL); a trailing comma ends the candidate.
    """
    candidates: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url, descriptor = value[start:i], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = i
            while i < n and value[i] != ",":
                i += 1
            descriptor = " ".join(value[start:i].split())
        candidates.append(f"{absolute(url)} {descriptor}".rstrip())
    return ", ".join(candidates)


def absolutize_html(html: str, site_url: str, page_url: str) -> str:
    """`html` with every relative link and media URL made absolute, for feed readers.

    Only the start tags that hold a relative URL are rewritten; every other byte of the
    author's HTML is kept as it was (a re-serialising parser would drop or add end tags
    around HTML5 elements such as `<source>` and `<wbr>`).
    """
    if not URL_ATTRIBUTE_HINT.search(html):
        return html
    rewriter = LinkRewriter(lambda url: absolute_url(url, site_url, page_url))
    rewriter.feed(html)
    rewriter.close()
    if not rewriter.edits:
        return html
    line_starts = [0] + [match.end() for match in re.finditer("\n", html)]
    pieces, done = [], 0
    for (line, column), length, replacement in rewriter.edits:
        start = line_starts[line - 1] + column
        pieces += [html[done:start], replacement]
        done = start + length
    pieces.append(html[done:])
    return "".join(pieces)


def attribute_value(value: str) -> str:
    """`value` escaped for a double-quoted HTML attribute (single quotes stay as they are)."""
    return escape(value, quote=False).replace('"', "&quot;")


class LinkRewriter(HTMLParser):
    """Collects, for each start tag with a URL attribute, the tag rewritten with absolute URLs."""

    def __init__(self, absolute: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.absolute = absolute
        # ((line, column) of the tag, its length in the source, the tag to put there)
        self.edits: list[tuple[tuple[int, int], int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rewrite(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rewrite(tag, attrs, self_closing=True)

    def rewrite(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        """Record the tag again with absolute URLs, if that changes any of them."""
        changed = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            new_value = value
            if value is not None:
                if name in URL_ATTRIBUTES:
                    new_value = self.absolute(value)
                elif name in SRCSET_ATTRIBUTES:
                    new_value = absolute_srcset(value, self.absolute)
                elif name == "style":
                    new_value = CSS_URL.sub(
                        lambda m: f"url({m[1]}{self.absolute(m[2])}{m[1]})", value
                    )
            changed = changed or new_value != value
            new_attrs.append((name, new_value))
        if not changed:
            return
        source = self.get_starttag_text() or ""
        parts = [tag] + [
            name if value is None else f'{name}="{attribute_value(value)}"'
            for name, value in new_attrs
        ]
        text = "<" + " ".join(parts) + (" />" if self_closing else ">")
        self.edits.append((self.getpos(), len(source), text))
