"""kramdown's tables (parser/kramdown/table.rb), for GFM input and kramdown's own alike:
rows of cells split on pipes outside code spans; the first separator line (`|---`,
`|:--+--:|`) after some rows makes them the header and gives the columns' alignment, any
later one starts another body, `|===` starts the footer; a separator line before any row
is nothing. Short rows are padded with empty cells. A table must end at a block boundary
(a blank line, a heading, a rule), else its lines are a paragraph; a table with no body
row is no table.

Python-Markdown's `tables` extension knows only a header line with its separator under it:
a second separator line became a row of "———" (typographic dashes on table syntax).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor

CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
# kramdown splits a row around `<code>` elements too, and counts no pipe inside any inline
# HTML element (bitcoincore.org's `as <code>nVersion|txins</code>.` is a paragraph)
CODE_ELEMENT = re.compile(r"<code.*?>.*?</code>")
SPAN_ELEMENT = re.compile(r"<([A-Za-z][\w-]*)\b[^>]*>.*?</\1\s*>")
PIPE = re.compile(r"(?<!\\)\|")
SEPARATOR = re.compile(r"[+|: \t-]*-[+|: \t-]*$")
FOOTER = re.compile(r"[+|: \t=]*=[+|: \t=]*$")
ALIGNMENT = re.compile(r"[ \t]?(:?)-+(:?)[ \t]?")
# What other block syntax takes first (a list item, quote, heading, HTML, code).
# (a line that starts with a link is a row; a link or footnote definition is not)
NOT_A_TABLE = re.compile(r" {0,3}(?:[-*+] |\d+\. |>|#|<|\[[^\]]*\]:|\ue000|\x02)| {4}")
BLOCK_BOUNDARY = re.compile(r" {0,3}(?:#|(?:[-*_] *){3,}$)")
STYLES = {"left": "text-align: left", "right": "text-align: right", "center": "text-align: center"}


def cells(line: str) -> list[str] | None:
    """A row's cells (pipes inside code spans and `<code>` are text); None when the line
    has no pipe outside them and outside inline HTML elements."""
    spans = [(m.start(), m.end()) for m in CODE_SPAN.finditer(line)]
    if "</" in line:
        spans += [(m.start(), m.end()) for m in CODE_ELEMENT.finditer(line)]
    cuts = [m.start() for m in PIPE.finditer(line) if not any(a <= m.start() < b for a, b in spans)]
    if not cuts or ("</" in line and not _pipe_outside_elements(line, spans)):
        return None
    pieces = [line[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(line)], strict=True)]
    if line.lstrip().startswith("|"):
        pieces = pieces[1:]
    if pieces and not pieces[-1].strip():
        pieces = pieces[:-1]
    return [piece.strip() for piece in pieces]


def _pipe_outside_elements(line: str, spans: list[tuple[int, int]]) -> bool:
    """Whether a pipe of the line is outside code spans and inline HTML elements."""
    spans = spans + [(m.start(), m.end()) for m in SPAN_ELEMENT.finditer(line)]
    return any(not any(a <= m.start() < b for a, b in spans) for m in PIPE.finditer(line))


def alignment(separator: str) -> list[str]:
    """Each column's alignment from a header separator line."""
    found = []
    for left, right in ALIGNMENT.findall(separator):
        if left and right:
            found.append("center")
        elif right:
            found.append("right")
        elif left:
            found.append("left")
        else:
            found.append("")
    return found


class KramdownTable(BlockProcessor):
    """A block whose first line holds a pipe outside code spans, read as kramdown does."""

    def test(self, parent: etree.Element, block: str) -> bool:
        if "|" not in block:
            return False
        first = block.split("\n", 1)[0]
        return not NOT_A_TABLE.match(first) and cells(first) is not None

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        lines = blocks[0].split("\n")
        count = next((i for i, line in enumerate(lines) if cells(line) is None), len(lines))
        if count < len(lines) and not BLOCK_BOUNDARY.match(lines[count]):
            return False  # its lines go on as text: a paragraph
        sections: list[tuple[str, list[list[str]]]] = []
        rows: list[list[str]] = []
        aligned: list[str] | None = None
        footer = False
        for line in lines[:count]:
            bare = line.strip()
            if SEPARATOR.match(bare):
                if not rows:
                    continue
                if aligned is None and not footer:
                    sections.append(("thead", rows))
                    aligned = alignment(bare)
                elif not footer:
                    sections.append(("tbody", rows))
                rows = [] if not footer else rows
            elif FOOTER.match(bare):
                if rows:
                    sections.append(("tbody", rows))
                rows, footer = [], True
            else:
                rows.append(cells(line) or [])
        if rows:
            sections.append(("tfoot" if footer else "tbody", rows))
        if not any(kind == "tbody" for kind, _ in sections):
            return False
        blocks.pop(0)
        if count < len(lines):
            blocks.insert(0, "\n".join(lines[count:]))
        self.build(parent, sections, aligned or [])
        return True

    @staticmethod
    def build(
        parent: etree.Element, sections: list[tuple[str, list[list[str]]]], aligned: list[str]
    ) -> None:
        columns = max(len(row) for _, rows in sections for row in rows)
        table = etree.SubElement(parent, "table")
        for kind, rows in sections:
            section = etree.SubElement(table, kind)
            for row in rows:
                tr = etree.SubElement(section, "tr")
                for index in range(columns):
                    cell = etree.SubElement(tr, "th" if kind == "thead" else "td")
                    cell.text = row[index] if index < len(row) else ""
                    style = STYLES.get(aligned[index] if index < len(aligned) else "")
                    if style:
                        cell.set("style", style)
