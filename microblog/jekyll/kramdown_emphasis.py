"""kramdown's emphasis (parser/kramdown/emphasis.rb), in place of Python-Markdown's
CommonMark-like delimiter runs, which read `a___b`, `foo___bar___baz` or `**x*` otherwise.

kramdown reads a paragraph left to right: at a `*`, `**`, `_` or `__` it tries an
emphasis (`__`/`**` strong, else em) up to the first same delimiter that may close it (no
space before it; for em, not a double one; for `_`, no letter or digit after it; some
text inside), parsing nested emphasis on the way; a strong that finds no end is tried as
an em from its second character; what finds no end is text. Only the innermost and the
open kinds matter (no em inside an em, no strong inside a strong), so each attempt from a
position is computed once per paragraph.

Code spans, links, HTML and escapes were taken before (higher priorities): here they are
placeholders, which kramdown would also have read as units.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor

EMPHASIS_START = re.compile(r"\*\*?|__?")
DELIMITER = re.compile(r"[*_]")
RUBY_SPACE = frozenset(" \t\r\n\f\v")  # Ruby's \s

Piece = str | etree.Element
Attempt = tuple[bool, list[Piece], int]


class Decided(str):
    """Text whose emphasis kramdown's rules already decided (the tail of an element built
    here, which Python-Markdown hands to this pattern again): read as it is."""


class _Paragraph:
    """One text's emphasis attempts, each computed once."""

    def __init__(self, data: str) -> None:
        self.data = data
        self.attempts: dict[tuple[int, str, str, frozenset[str]], Attempt] = {}
        # Where a scan for a closing delimiter went, with some content behind it, and found
        # none: from there on every scan of the same kind goes the same way (without this a
        # paragraph of unclosed `*` took seconds: each one scanned to the end again).
        self.dead_ends: dict[tuple[str, str, frozenset[str]], set[int]] = {}

    def emphasis(
        self, pos: int, open_kinds: frozenset[str], innermost: str
    ) -> tuple[etree.Element | None, int]:
        """The emphasis starting at `pos` and where it ends, or None and the end of the
        delimiter run read as text."""
        data = self.data
        run = EMPHASIS_START.match(data, pos)
        assert run is not None
        delimiter = run.group(0)
        kind = "strong" if len(delimiter) == 2 else "em"
        char = delimiter[0]
        after = pos + len(delimiter)
        space_after = after < len(data) and data[after] in RUBY_SPACE
        if (char == "_" and self.alpha_before(pos)) or space_after or kind in open_kinds:
            return None, after
        found, pieces, end = self.content(after, delimiter, kind, open_kinds | {kind})
        if not found and kind == "strong" and innermost != "em":
            delimiter, kind = char, "em"
            found, pieces, end = self.content(pos + 1, char, "em", open_kinds | {"em"})
        if not found:
            return None, after
        return _element(kind, pieces), end + len(delimiter)

    def alpha_before(self, pos: int) -> bool:
        """kramdown's `[[:alpha:]]-?[[:alpha:]]*\\z` on the text before `pos`."""
        data = self.data
        before = data[pos - 1 : pos]
        if before == "-":
            before = data[pos - 2 : pos - 1]
        return before.isalpha()

    def content(self, start: int, delimiter: str, kind: str, open_kinds: frozenset[str]) -> Attempt:
        """kramdown's parse_spans up to a closing `delimiter`: (found, pieces, its position)."""
        key = (start, delimiter, kind, open_kinds)
        known = self.attempts.get(key)
        if known is None:
            known = self.attempts[key] = self.scan(start, delimiter, kind, open_kinds)
        return known

    def scan(self, start: int, delimiter: str, kind: str, open_kinds: frozenset[str]) -> Attempt:
        data = self.data
        pieces: list[Piece] = []
        text_start = position = start
        dead_ends = self.dead_ends.setdefault((delimiter, kind, open_kinds), set())
        visited: list[int] = []
        while True:
            found = DELIMITER.search(data, position)
            if found is None or (
                (pieces or found.start() > text_start) and found.start() in dead_ends
            ):
                dead_ends.update(visited)
                return False, pieces, len(data)
            at = found.start()
            if pieces or at > text_start:
                visited.append(at)
            closing = data.startswith(delimiter, at)
            if closing and self.closes(at, delimiter, kind, pieces, text_start):
                if at > text_start:
                    pieces.append(data[text_start:at])
                return True, pieces, at
            node, end = self.emphasis(at, open_kinds, kind)
            if node is not None:
                if at > text_start:
                    pieces.append(data[text_start:at])
                pieces.append(node)
                text_start = end
            position = end

    def closes(
        self, at: int, delimiter: str, kind: str, pieces: list[Piece], text_start: int
    ) -> bool:
        """Whether the delimiter at `at` ends the emphasis (kramdown's block in sub_parse)."""
        data = self.data
        if data[at - 1] in RUBY_SPACE:
            return False
        end = at + len(delimiter)
        if kind == "em" and data.startswith(delimiter * 2, at):
            if not data.startswith(delimiter * 3, at):
                return False  # a double delimiter does not end an em
        if delimiter[0] == "_" and data[end : end + 1].isalnum():
            return False
        return bool(pieces) or at > text_start


def _element(kind: str, pieces: list[Piece]) -> etree.Element:
    element = etree.Element(kind)
    last: etree.Element | None = None
    for piece in pieces:
        if isinstance(piece, str):
            # (no two texts follow each other; an attempt reused builds the same tree)
            if last is None:
                element.text = piece
            else:
                last.tail = Decided(piece)
        else:
            element.append(piece)
            last = piece
    return element


class KramdownEmphasis(InlineProcessor):
    """`*em*`, `**strong**`, `_em_`, `__strong__` as kramdown reads them.

    Python-Markdown calls this at each delimiter run of a text, and after each emphasis
    returned again with the text where a placeholder stands for it: the attempts already
    made on the text stay valid after that point, so they are kept (positions shifted)."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(EMPHASIS_START.pattern, md)
        self.paragraph = _Paragraph("")
        self.current = ""  # the text as Python-Markdown last gave it
        self.shift = 0  # position in `current` minus position in paragraph.data
        self.replaced: tuple[int, int] | None = None  # what the last element returned covers

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        if isinstance(data, Decided):
            return None, None, None
        if data is not self.current:
            self.follow(data)
        start = m.start(0)
        if self.paragraph.data is not data and (
            start < self.shift or self.paragraph.data[start - self.shift :] != data[start:]
        ):
            self.paragraph, self.shift = _Paragraph(data), 0  # another text after all
        node, end = self.paragraph.emphasis(start - self.shift, frozenset(), "")
        if node is None:
            return None, None, None  # the run is text; the search goes on after it
        self.replaced = (start, end + self.shift)
        return node, start, end + self.shift

    def follow(self, data: str) -> None:
        """`data` is the last text with a placeholder for the element returned, or another."""
        previous, replaced = self.current, self.replaced
        self.current, self.replaced = data, None
        if replaced is not None:
            start, end = replaced
            if data.startswith(previous[:start]) and data.endswith(previous[end:]):
                self.shift += len(data) - len(previous)
                return
        self.paragraph = _Paragraph(data)
        self.shift = 0
