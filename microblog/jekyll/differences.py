"""What the app still renders otherwise than Jekyll (kramdown 2.4 / Jekyll 4.3), found in a
post's Markdown so that the import names it in a warning line, with the file's line.

Each is a case measured on real blogs (tests/site_oracle.py) and left: HTML inside a
`markdown="1"` element (kramdown leaves it raw, the app applies typographic quotes in it);
raw HTML indented (in a list item, where the app does not read it as kramdown does) with an
end tag that closes an element further out than the innermost open one (`<pre><code></p>`,
`<ol><li>a<li>b</ol>`), which kramdown writes as text, keeping the rest of the post inside
the element, where the app closes it; and, in a site whose own `_plugins` rewrite kramdown's
headings (swift.org's convert-header.rb), a heading holding markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from microblog.jekyll.kramdown_html import HTML_BLOCK_START, opens_raw_block, raw_element_end

CHECKS = [
    (
        re.compile(r"<(\w+)[^>]*markdown=[\"']?1[^>]*>(?:(?!</\1>).)*?\n[ \t]*<(?!/)", re.DOTALL),
        'HTML inside a markdown="1" element (kramdown leaves it raw: no typographic quotes)',
    ),
]
# Found in any text (a URL holds no '_' or HTML).
URL_CHECKS = [
    (
        re.compile(r"\]\([^()\s]*\([^()\s]*\\\)"),
        "an escaped ')' inside a link's URL (kramdown makes the link, keeping the backslash)",
    ),
]
FENCED = re.compile(r"^ *(```|~~~).*?^ *\1", re.MULTILINE | re.DOTALL)
# A fence closed and another opened on the very next line
BACK_TO_BACK_FENCES = re.compile(r"^[ \t]*(?:```|~~~)[ \t]*\n[ \t]*(?:```|~~~)", re.MULTILINE)
FENCE_LINE = re.compile(r"[ \t]*(?:```|~~~)")
ITEM_LINE = re.compile(r" {0,3}(?:[-*+]|\d+\.)[ \t]+\S")


def rendering_differences(body: str, first_line: int) -> list[str]:
    """A warning for each place in `body` the app is known to render otherwise."""
    checks = URL_CHECKS if "\\)" in body else []
    if "markdown=" in body:
        checks = CHECKS + checks
    if not checks and "</" not in body and not BACK_TO_BACK_FENCES.search(body):
        return []
    text = FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    found_at: list[tuple[int, str]] = []
    for pattern, what in checks:
        found = pattern.search(text)
        if found:
            found_at.append((found.start(), what))
    if "</" in text:
        found_at.extend(_stray_end_tag(text))
    warnings = []
    for at, what in found_at:
        line = first_line + text.count("\n", 0, at)
        warnings.append(f"line {line}: {what}: Jekyll may show it otherwise")
    second_fence = _fence_after_item_fence(body)
    if second_fence is not None:
        warnings.append(
            f"line {first_line + second_fence}: a fenced code block right under an item's"
            " fenced code (kramdown keeps it, and the list, in the item): Jekyll may show it"
            " otherwise"
        )
    return warnings


def _stray_end_tag(text: str) -> list[tuple[int, str]]:
    """The first end tag in a raw HTML block that kramdown writes as text (it does not close
    the innermost open element) though it names one open further out, with what it does."""
    position = 0
    while (start := HTML_BLOCK_START.search(text, position)) is not None:
        position = start.end()
        if not opens_raw_block(start):
            continue
        end, stray, inner = raw_element_end(text, start)
        if stray is not None and text[start.start()] == " ":
            # (one at a line's very start is rendered as kramdown reads it: kramdown.py)
            tag = stray.group(0)
            return [
                (
                    stray.start(),
                    f"raw HTML with {tag} while a <{inner}> inside it is open (kramdown"
                    f" writes {tag} as text and keeps what follows in the <{inner}>)",
                )
            ]
        if end is None:
            return []  # kramdown takes the rest of the text as this element's
        position = end
    return []


# An ATX heading holding markup kramdown writes as a tag (code, emphasis, HTML, a footnote),
# and no link (swift.org's convert-header.rb leaves a heading with a link as kramdown wrote it)
HEADING_WITH_MARKUP = re.compile(
    r"^ {0,3}#{1,6}[ \t](?![^\n]*(?:\]\(|\]\[|<https?:|<a\s))"
    r"[^\n]*?(?:`|<[A-Za-z]|\*[^*\s]|\[\^|(?<!\w)_[^_\s])",
    re.MULTILINE,
)


def heading_plugin_differences(body: str, first_line: int, plugins: Sequence[str]) -> list[str]:
    """A warning for the first heading holding markup when the site's own `plugins`
    (`_plugins/*.rb` that redefine kramdown's `convert_header`) rewrite headings: swift.org's
    writes the heading's HTML into a `title` attribute too, where its tags end the
    attribute and show as text."""
    if not plugins or "#" not in body:
        return []
    text = FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    found = HEADING_WITH_MARKUP.search(text)
    if found is None:
        return []
    line = first_line + text.count("\n", 0, found.start())
    names = ", ".join(plugins)
    return [
        f"line {line}: a heading holding markup, which the site's _plugins ({names}) rewrite "
        "(an anchor whose title holds the heading's HTML, shown as text): Jekyll may show "
        "it otherwise"
    ]


def _fence_after_item_fence(body: str) -> int | None:
    """The line (from 0) of a fence opened right under another that a list item's text
    holds (gfx-rs.github.io's engine list: `  * Unity3D`, its code, then more code):
    kramdown keeps both in the item and the list going; the app ends the list there."""
    lines = body.split("\n")
    for found in BACK_TO_BACK_FENCES.finditer(body):
        closing = body.count("\n", 0, found.start())
        index = closing - 1
        while index >= 0 and not FENCE_LINE.match(lines[index]):
            index -= 1  # back to the first fence's opening
        index -= 1
        while index >= 0 and lines[index].strip():
            if ITEM_LINE.match(lines[index]):
                return closing + 1
            if FENCE_LINE.match(lines[index]):  # an earlier fence of the item: past it
                index -= 1
                while index >= 0 and not FENCE_LINE.match(lines[index]):
                    index -= 1
            index -= 1
    return None
