"""A Python-Markdown extension for what kramdown (Jekyll's Markdown) does and no kept
extension does: lists indented by two spaces, a list right after a paragraph line (GFM
input), block attribute lists on their own line, `{::comment}`, `{::nomarkdown}`,
`$$…$$` inside a sentence, and kramdown's heading ids.

Everything else kramdown does is left to kept extensions (see markdown.py). The block
preprocessor is one pass over the lines that knows code fences, so nothing inside code is
touched; it also measures the nesting that would make Python-Markdown recurse without
end, and refuses such a text (MarkdownTooComplex) before it is parsed.
"""

from __future__ import annotations

import bisect
import itertools
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown import Extension, Markdown
from markdown.inlinepatterns import (
    BACKTICK_RE,
    HTML_RE,
    REFERENCE_RE,
    BacktickInlineProcessor,
    InlineProcessor,
    ReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import NormalizeWhitespace, Preprocessor
from markdown.util import ETX, INLINE_PLACEHOLDER_RE, STX, AtomicString, code_escape

from microblog.jekyll.errors import PostError
from microblog.jekyll.highlight import IndentedCode, RougeCode
from microblog.jekyll.kramdown_emphasis import KramdownEmphasis
from microblog.jekyll.kramdown_html import (
    BLOCK_TAGS,
    HTML_BLOCK_START,
    RAW_START,
    VOID_BLOCK_TAG,
    HtmlBlockMark,
    KramdownSpanHtml,
    NestedMarkdownHtml,
    RawHtmlBlocks,
    RawSpanHtml,
    SpanTagBalance,
    kramdown_raw_html,
    opens_raw_block,
    raw_element_end,
)
from microblog.jekyll.kramdown_table import NOT_A_TABLE, KramdownTable, cells
from microblog.jekyll.kramdown_tree import (
    BARE_TOKEN,
    BareLines,
    BlockAttributes,
    BlockMath,
    DefinitionParagraphs,
    HeadingIds,
    KramdownAttributes,
    ListsFromOne,
    Typography,
    UnreferencedFootnotes,
)
from microblog.jekyll.settings import MarkdownOptions
from microblog.jekyll.tex import TexBudget, math_element

# Nesting beyond these is refused: Python-Markdown recurses once per level (lists,
# quotes) or rescans per open bracket, and real posts stay far below.
MAX_LIST_DEPTH = 24
MAX_QUOTE_DEPTH = 24
MAX_BRACKET_DEPTH = 32
MAX_MARKER_RUN = 64

MARKER_STARTS = frozenset("-*+0123456789")
# kramdown's LIST_START: a marker alone on its line (`-`, `5.`) starts no item
LIST_MARKER = re.compile(r"( *)([-*+]|\d{1,9}\.)( +)(.*)")
RULE = re.compile(r" {0,3}([-*_])(?: *\1){2,} *$")
# kramdown's DEFINITION_LIST_START (a tab or `|` after the colon is left to Python-Markdown)
DEFINITION = re.compile(r":  ?.*\S")
DEFINITION_TOKEN = "\ue000dd{}\ue001"
BLOCK_START = re.compile(r"[>#|<{$]|```|~~~|[-*+] |\d+\. ")
LINK_DEFINITION = re.compile(r"\[[^\]\n]+\]:")
# kramdown's setext underline (SETEXT_HEADER_START): at its block's own column 0
UNDERLINE = re.compile(r"([-=])[-=]*[ \t]*$")
FENCE = re.compile(r" *(`{3,}|~{3,})")
BLOCK_IAL = re.compile(r" *\{:(?!:)\s*([^}]*)\}\s*$")
ALD = re.compile(r" *\{:[\w-]+:")
ALD_LINE = re.compile(r" *\{:(\w[\w-]*):([^}]*)\}\s*$")
EXTENSION = re.compile(r"\{::(comment|nomarkdown|options)\b[^}]*?(/)?\}")
HASH_WORD = re.compile(r"#{1,6}[^\s#]")
ATX_LINE = re.compile(r"(#{1,6})(.*)")
HEADER_ID = re.compile(r"[\t ]+\{#[A-Za-z][\w:-]*\}$")
CLOSING_HASHES = re.compile(r"(?<!\\)#+$")
INLINE_COMMENT = re.compile(r" *<!--(?:(?!-->).)*--> *$")
QUOTED = re.compile(r"^ {0,3}> ?")
QUOTE_DEPTH = re.compile(r" *(?:> *)+")
NOT_LAZY = re.compile(r" *(?:#|```|~~~|>|\||<)")


VOID_BLOCK_LINE = re.compile(rf"(?:{VOID_BLOCK_TAG}\s*)+$", re.IGNORECASE)
KRAMDOWN_ESCAPES = ('"', "'", ":", "|", "=", "<", ">", "$")


class MarkdownTooComplex(PostError):
    """A text nested too deeply to render in bounded time: refused with the reason."""


@dataclass
class _Item:
    """An open list item: its content column in the source and in the rewritten text."""

    source_column: int
    output_column: int
    ordered: bool
    marker_indent: int
    definition: bool = False  # a definition list's `: definition`


LONG_RUN = re.compile(rf"[*_]{{{MAX_MARKER_RUN + 1},}}")


def _check_brackets(line: str, depth: int) -> int:
    """The `[`/`(` depth after this line (Python-Markdown rescans per open bracket, and
    recurses once per emphasis marker of a long run)."""
    if ("*" in line or "_" in line) and LONG_RUN.search(line) and not RULE.match(line):
        raise MarkdownTooComplex(f"a run of more than {MAX_MARKER_RUN} '*' or '_' characters")
    opens = line.count("[") + line.count("(")
    if depth + opens <= MAX_BRACKET_DEPTH:  # cannot pass the limit on this line
        return max(0, depth + opens - line.count("]") - line.count(")"))
    for char in line:
        if char in "[(":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise MarkdownTooComplex(
                    f"more than {MAX_BRACKET_DEPTH} brackets open at once in one paragraph"
                )
        elif char in "])" and depth:
            depth -= 1
    return depth


class KramdownWhitespace(NormalizeWhitespace):
    """Python-Markdown's whitespace normalising, less what kramdown keeps: tabs (KramdownBlocks
    expands a line's indentation as kramdown reads it: in code, `a<tab>b` stays) and lines
    of spaces (code inside a fence; elsewhere a blank line that is not empty, which matters
    to a definition list)."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines).replace(STX, "").replace(ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        return source.split("\n")


class KramdownBlocks(Preprocessor):
    """Rewrites kramdown's block syntax into what Python-Markdown's parser reads the same way.

    - list items are re-indented to Python-Markdown's four columns per level, following
      kramdown's rule (a line belongs to the item whose content column it reaches), so
      two-space nesting and fenced code inside items stay in their item;
    - with GFM input a list may follow a paragraph line directly;
    - `{::comment}…{:/comment}` disappears, `{::nomarkdown}…{:/nomarkdown}` goes out raw;
    - a block attribute list on its own line becomes a token that BlockAttributes applies
      to the block before it (or after it, when a blank line precedes it).
    """

    def __init__(self, md: Markdown, extension: KramdownExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        text = self.hide_extensions("\n".join(lines))
        return self.rewrite(text.split("\n"), outermost=True)

    def hide_extensions(self, text: str) -> str:
        """Drop comments and `{::options}`; stash `{::nomarkdown}` content (outside code)."""
        if "{::" not in text:
            return text
        out: list[str] = []
        pos = 0
        fences = _fenced_spans(text)
        for match in EXTENSION.finditer(text):
            if match.start() < pos or any(a <= match.start() < b for a, b in fences):
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            if text.count("`", line_start, match.start()) % 2:
                continue  # inside a code span
            name, closed = match.group(1), match.group(2)
            out.append(text[pos : match.start()])
            pos = match.end()
            if closed or name == "options":
                continue
            end = re.compile(r"\{:/(?:" + name + r")?\}").search(text, pos)
            inner = text[pos : end.start() if end else len(text)]
            pos = end.end() if end else len(text)
            if name == "nomarkdown":
                placeholder = self.md.htmlStash.store(inner.strip("\n"))
                at_line_start = not out[-1] or out[-1].endswith("\n")
                out.append(f"\n\n{placeholder}\n\n" if at_line_start else placeholder)
        out.append(text[pos:])
        return "".join(out)

    def rewrite(self, lines: list[str], *, outermost: bool = False) -> list[str]:
        gfm = self.extension.gfm
        html_blocks = _HtmlBlocks(lines, self.md) if outermost else None
        out: list[str] = []
        stack: list[_Item] = []
        # (its run, shift, its indent, where it is written)
        fence: tuple[str, int, int, int] | None = None
        previous = "blank"  # blank | paragraph | item | heading item | fence | other
        paragraph_lines = 0  # lines of the paragraph (or item text) just before
        # whether that paragraph began after a blank line (kramdown's block boundary)
        at_boundary = True
        # the blank lines just before, and what came before them
        before_blank = "blank"
        blank_lines: list[str] = []
        block_start = 0  # where in `out` the block after the last blank line starts
        item_text_at = (0, 0)  # the last item's line in `out`, and where its text starts
        table_at = -1  # the `block_start` of the block that is a table's rows
        brackets = 0
        index = 0
        while index < len(lines):
            line = lines[index]
            index += 1
            if previous == "code" and not stack and line.strip() and not CODE_END.match(line):
                if not INDENT.match(line):
                    # kramdown: a line right after indented code is code too, joined to the
                    # line before when it starts with up to three spaces
                    if LAZY_JOIN.match(line):
                        out[-1] += " " + line
                    else:
                        out.append("    " + line)
                    continue
            if (
                not stack
                and fence is None
                and (previous == "blank" or (previous == "other" and out[-1].startswith("#")))
                and SPACES_TAB.match(line)
            ):
                # kramdown: 1-3 spaces then a tab start no block ("no block parser handled
                # the line"): the line is text in no paragraph, and so are such lines right
                # after it; a line after them starts a block again
                texts = [line.lstrip()]
                while index < len(lines) and SPACES_TAB.match(lines[index]):
                    texts.append(lines[index].lstrip())
                    index += 1
                self.extension.bare_lines = True
                out.extend(["", BARE_TOKEN + "\n".join(texts), ""])
                block_start = len(out)
                previous = "blank"
                continue
            if (
                html_blocks
                and fence is None
                and (line[:1] == "<" or not stack and line.lstrip(" ")[:1] == "<")
            ):
                found = html_blocks.extent(index - 1)
                if found is not None:
                    stack.clear()  # kramdown: a tag at column 0 ends a list (it is no lazy line)
                    # kramdown: an HTML block's element is raw HTML to its own end tag (its
                    # tabs, lines of spaces and indentation as written: no code, no list)
                    end, its_own, tail = found
                    block = lines[index - 1 : end]
                    if tail:
                        block[-1] = block[-1][: len(block[-1]) - len(tail)]
                    if its_own:
                        out.extend(block)
                        previous = "other"
                    else:
                        # Python-Markdown reads no HTML block there (`<macro:code>`)
                        placeholder = self.md.htmlStash.store(
                            kramdown_raw_html("\n".join(block), [], strict=True)
                        )
                        self.extension.void_blocks.add(placeholder)
                        out.extend(["", placeholder, ""])
                        block_start, previous = len(out), "blank"
                    if tail:
                        # kramdown: a new block (`<br /><a …>…` a paragraph) where its end tag
                        # ends; on a line of its own, where Python-Markdown reads it so too
                        out.append(tail)
                        previous = "other"
                    index, brackets = end, 0
                    continue
            if "\t" in line:
                line = _expand_indentation(
                    line,
                    item_column=stack[-1].source_column if stack else None,
                    in_fence=fence is not None,
                )
            if fence is not None:
                closing, shift, opened_at, written_at = fence
                bare = line.strip()
                indent = len(line) - len(line.lstrip(" "))
                column = stack[-1].source_column if gfm and stack else 0
                if bare and indent < column:
                    # kramdown's list parser: a lazy line keeps its text where it is, at
                    # the item's column, whatever spaces short of it it has
                    line = " " * column + line.lstrip(" ")
                out.append(_shift(line, shift))
                # kramdown: the closing fence is indented at most three columns more
                if (
                    bare.startswith(closing)
                    and not bare.strip(closing[0])
                    and indent <= opened_at + 3
                ):
                    # where SuperFences looks for it, as long as the opening (kramdown
                    # closes on a longer run too)
                    out[-1] = " " * written_at + closing
                    fence = None
                    previous = "fence"
                continue
            if (line.rstrip() == "^" or (stack and line.strip() == "^")) and not _in_html_block(
                lines, index - 1
            ):
                # kramdown's end-of-block marker: a `^` line ends the paragraph, list, quote
                # or code before it and writes nothing (an empty comment keeps Python-Markdown
                # from joining the two); inside an item it ends the item's text
                if line.startswith("^"):
                    stack.clear()
                    out.extend(["", self.md.htmlStash.store("<!-- -->"), ""])
                    block_start, previous = len(out), "blank"
                    before_blank, blank_lines = "other", [""]
                else:
                    out.append(" " * stack[-1].output_column + self.md.htmlStash.store(""))
                continue
            if not line.strip():
                if previous != "blank":
                    before_blank, blank_lines = previous, []
                blank_lines.append(line)
                out.append("")
                block_start = len(out)
                previous = "blank"
                brackets = 0
                continue
            stripped = line.lstrip(" ")
            if "\t" in stripped and stripped[0] in MARKER_STARTS:
                line = _expand_marker_gap(line)
                stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            first = stripped[0]
            if first == "[" and "\t" in stripped and LINK_DEFINITION.match(stripped):
                # kramdown allows tabs around a definition's URL; Python-Markdown spaces only
                stripped = stripped.replace("\t", " ")
                line = " " * indent + stripped
            column = stack[-1].source_column if stack else 0
            if first == "#" and indent < column + 4:
                # An empty placeholder (it writes nothing) keeps `#`s from being read as a
                # heading's and is gone in a raw HTML block (where a `\\` would show).
                kept = _atx_as_kramdown(stripped, gfm=gfm, nothing=self.md.htmlStash.store(""))
                if kept != stripped:
                    stripped, line = kept, " " * indent + kept
            if (
                not gfm
                and first in "#>`~"
                and self.not_a_block_start(stripped, previous, indent != column)
            ):
                # kramdown input: only a blank line ends a paragraph, and ``` is no fence;
                # an empty placeholder before the line keeps it text
                out.append(" " * indent + self.md.htmlStash.store("") + stripped)
                previous = "item" if previous == "item" else "paragraph"  # (a lazy line)
                continue
            if (
                gfm
                and stripped[0] == "#"
                and stack
                and previous in {"item", "paragraph", "heading item"}
                and indent < stack[-1].source_column
            ):
                # kramdown-parser-gfm: a heading right under an item's text is a lazy line of
                # the item, a heading inside it (and so are the lines after it)
                out.append("")
                block_start = len(out)
                out.append(" " * stack[-1].output_column + stripped)
                previous = "heading item"
                continue
            if first == "|" and previous in {"paragraph", "other"} and not stack:
                last = out[-1].lstrip() if out else ""
                if last and not last.startswith("|") and "|" not in last:
                    # kramdown: a table starts only after a blank line (here it is text)
                    out.append(" " * indent + self.md.htmlStash.store("") + stripped)
                    previous = "paragraph"
                    continue
            if first == ">":
                quotes = QUOTE_DEPTH.match(line)
                if quotes and quotes.group(0).count(">") > MAX_QUOTE_DEPTH:
                    raise MarkdownTooComplex(
                        f"block quotes nested more than {MAX_QUOTE_DEPTH} deep"
                    )
                while previous == "blank" and stack and stack[-1].source_column > indent:
                    stack.pop()  # kramdown: after a blank line, a quote left of an item ends it
                if not stack and indent <= 3:
                    # a quote's content is Markdown of its own (a list after its paragraph)
                    end = index
                    while end < len(lines) and QUOTED.match(lines[end]):
                        end += 1
                    inner = [QUOTED.sub("", quoted, count=1) for quoted in lines[index - 1 : end]]
                    if previous == "blank" and self.after_quote(out):
                        # kramdown: a blank line ends a quote (Python-Markdown joins the two)
                        out.extend([self.md.htmlStash.store("<!-- -->"), ""])
                    out.extend(f"> {text}" if text else ">" for text in self.rewrite(inner))
                    index = end
                    previous = "other"
                    continue
                if stack and 0 <= indent - column <= 3 and (gfm or previous == "blank"):
                    # a quote in an item, at its column: Markdown of its own (with GFM input
                    # also right under the item's text, which it ends)
                    end = index
                    while end < len(lines) and _quoted_in_item(lines[end], column):
                        end += 1
                    inner = [
                        QUOTED.sub("", text[column:], count=1) for text in [line, *lines[index:end]]
                    ]
                    if previous != "blank":
                        out.append("")
                    pad = " " * stack[-1].output_column
                    out.extend(pad + (f"> {text}" if text else ">") for text in self.rewrite(inner))
                    if end < len(lines) and LIST_MARKER.match(lines[end]):
                        out.append("")  # an item after it is the list's, not the quote's text
                    index = end
                    previous = "other"
                    continue
            brackets = _check_brackets(line, brackets)
            if first == "{" and indent < column + 4 and (BLOCK_IAL.match(line) or ALD.match(line)):
                out.extend(self.attribute_list(line, previous, stack, indent))
                if previous == "blank":
                    block_start = len(out)  # kramdown: a boundary, as a blank (a table may follow)
                previous = "blank"
                continue
            if first == "<" and not stack and indent <= 3 and VOID_BLOCK_LINE.match(stripped):
                # kramdown: `<link>`, `<meta>`… are block HTML, never in a paragraph
                placeholder = self.md.htmlStash.store(stripped.rstrip())
                self.extension.void_blocks.add(placeholder)
                out.extend(["", placeholder, ""])
                block_start = len(out)
                previous = "blank"
                continue
            if first == "<" and previous == "paragraph" and INLINE_COMMENT.match(line):
                # kramdown: a comment line inside a paragraph stays in it
                out.append(" " * indent + self.md.htmlStash.store(stripped.rstrip()))
                continue
            if first == ":" and indent < column + 4 and DEFINITION.match(stripped):
                definition = previous == "paragraph" or any(item.definition for item in stack)
                if not definition and previous == "item" and stack:
                    at, split = item_text_at
                    if indent >= stack[-1].source_column and at < len(out):
                        # kramdown: the item's lines of text are the terms of a definition
                        # list inside it (Python-Markdown finds them on lines of their own)
                        head = out[at]
                        out[at : at + 1] = [head[:split], "", " " * (split + 2) + head[split:]]
                        table_at += 2 * (table_at > at)
                        block_start += 2 * (block_start > at)
                        definition = True
                if previous == "blank" and before_blank == "paragraph" and blank_lines == [""]:
                    definition = True  # kramdown: after one blank line, that is empty
                if definition:
                    while stack and stack[-1].source_column > indent:
                        stack.pop()
                    out.append(self.definition(stripped, indent, stack, previous == "blank"))
                    previous, paragraph_lines, at_boundary = "item", 1, True
                    continue
                if previous != "item":
                    # kramdown: no definition without its term's paragraph right before
                    out.append(" " * indent + self.md.htmlStash.store("") + stripped)
                    previous, paragraph_lines, at_boundary = "paragraph", 1, previous == "blank"
                    continue
            as_text = False
            if (
                previous in {"paragraph", "item"}
                and first in "-=*_"
                and (RULE.match(line) or UNDERLINE.match(stripped))
            ):
                underline = UNDERLINE.match(stripped) if _inner_indent(indent, stack) == 0 else None
                if underline and stripped[1:2] in (" ", "\t"):
                    underline = None  # `- ` is an item of its own, not an underline
                if underline and previous == "item" and paragraph_lines == 1:
                    # kramdown: the line is the item's (lazy or not), under its one line of
                    # text: a setext heading inside the item
                    out[-1] = _as_heading(out[-1], 1 if underline.group(1) == "=" else 2)
                    previous = "heading item"
                    continue
                # kramdown: only a blank line (GFM: also a list marker) ends a paragraph, so
                # a rule under it, or an underline under two lines, is text
                setext = underline and paragraph_lines == 1 and at_boundary
                # (a list marker ends it with GFM input, and is an item inside a list)
                marker_like = stripped[1:2] in (" ", "\t")
                as_text = not setext and not (marker_like and (gfm or stack))
            if "|" in stripped and not as_text and _may_start_table(stripped, indent - column):
                if len(out) == block_start:
                    table_at = block_start  # a table's first row
                elif table_at != block_start or cells(out[-1].strip()) is None:
                    as_text = True  # kramdown: a table starts only after a blank line
            marker = LIST_MARKER.match(line) if first in MARKER_STARTS and not as_text else None
            if previous == "fence" and (not marker or not stack):
                out.append("")  # text right after a closing fence is a block of its own
            if marker and RULE.match(line):
                rest = marker.group(4)
                if stack and previous != "blank" and not stack[-1].ordered and not RULE.match(rest):
                    # kramdown: only after a blank line does a rule end a list; `- - -` is
                    # an item of it holding the list `- -` (its last marker kept as text)
                    line = line[: len(line) - len(rest)] + rest[:-1] + "\\" + rest[-1]
                    marker = LIST_MARKER.match(line)
                else:
                    marker = None
            if marker and previous != "blank" and stack and indent < stack[-1].source_column:
                outer = stack[-2].source_column if len(stack) > 1 else 0
                if indent - outer >= 4 and previous in {"paragraph", "item"}:
                    # kramdown: a line short of the item's column is a lazy line of its text,
                    # and four spaces in, no list starts there: text
                    placeholder = self.md.htmlStash.store("")
                    out.append(" " * stack[-1].output_column + placeholder + stripped)
                    continue
                ordered = marker.group(2)[0].isdigit()
                if all(item.ordered != ordered for item in stack):
                    # kramdown: another kind of marker inside an item is a nested list
                    stack.append(self.item(marker, stack[-1], line))
                    out.append(" " * stack[-2].output_column + self.item_text(marker))
                    previous = "item"
                    paragraph_lines, at_boundary = 1, True
                    continue
            if marker:
                in_list, depth = bool(stack), len(stack)
                while stack and stack[-1].source_column > indent:
                    if stack.pop().marker_indent <= indent:
                        break  # its sibling: the new item joins the same list
                parent = stack[-1] if stack else None
                base = parent.source_column if parent else 0
                if indent - base >= 4:
                    marker = None  # indented code, not a list
                elif not stack and previous == "paragraph":
                    if gfm or in_list:  # (an item of the list the paragraph is in)
                        out.append("")
                    else:
                        marker = None  # kramdown: a list needs a blank line before it
                elif gfm and previous == "paragraph" and stack and len(stack) == depth:
                    # kramdown-parser-gfm: a list ends an item's paragraph too (rubyonrails.org
                    # changelogs: "This has two\n  problems:\n    * …")
                    out.append("")
            if marker and gfm and stack and stack[-1].definition and previous != "blank":
                out.append("")  # kramdown-parser-gfm: a list ends the definition's paragraph
            if marker:
                item = self.item(marker, stack[-1] if stack else None, line)
                start = out[block_start] if block_start < len(out) else ""
                if previous != "blank" and len(start) - len(start.lstrip(" ")) > max(
                    0, item.output_column - 4
                ):
                    # Python-Markdown reads a block that begins inside an item as that item's,
                    # to its end: an outer item in it needs a block of its own
                    out.append("")
                # where the item's text starts: it may turn out to be a definition's terms
                item_text_at = (len(out), item.output_column - 4 + len(marker.group(2)) + 1)
                out.append(" " * (item.output_column - 4) + self.item_text(marker))
                stack.append(item)
                if len(stack) > MAX_LIST_DEPTH:
                    raise MarkdownTooComplex(f"lists nested more than {MAX_LIST_DEPTH} deep")
                previous = "item"
                paragraph_lines, at_boundary = 1, True
                continue
            lazy = previous in {"paragraph", "item", "heading item"} and not NOT_LAZY.match(line)
            if stack and previous in {"paragraph", "item", "heading item"} and gfm:
                # kramdown-parser-gfm: a fence right under an item's text is the item's
                lazy = lazy or FENCE.match(line) is not None
            elif stack and previous == "fence":
                lazy = not NOT_LAZY.match(line)  # text right under an item's fence: the item's
            if not lazy:
                while stack and stack[-1].source_column > indent:
                    stack.pop()
            if stack:
                top = stack[-1]
                new_indent = top.output_column + max(0, indent - top.source_column)
                if previous == "heading item" and lazy:
                    out.append("")  # a paragraph of the item after its heading
                rewritten = " " * new_indent + line.lstrip(" ")
            else:
                new_indent, rewritten = indent, line
            if as_text:
                rewritten = " " * new_indent + self.md.htmlStash.store("") + line.lstrip(" ")
            opening = FENCE.match(line)
            if opening and gfm:
                # kramdown-parser-gfm takes a fence's lines as they are: the 1-3 spaces it is
                # indented by (past its list item's column) stay in its code
                base = stack[-1].output_column if stack else 0
                shift = base - (stack[-1].source_column if stack else 0)
                rewritten = " " * base + line.lstrip(" ")
                out.append(rewritten)
                fence = (opening.group(1), shift, indent, base)
                previous = "other"
                continue
            out.append(rewritten)
            if not lazy:
                at_boundary = previous == "blank"
            paragraph_lines = paragraph_lines + 1 if lazy else 1
            if opening:
                fence = (opening.group(1), new_indent - indent, indent, new_indent)
                previous = "other"
            elif not stack and previous in {"blank", "code"} and INDENT.match(line):
                previous = "code"
            elif not as_text and (line.lstrip().startswith(("#", "|", "<")) or RULE.match(line)):
                previous = "other"
            elif previous != "item" or not lazy:
                previous = "paragraph"
        return out

    @staticmethod
    def not_a_block_start(stripped: str, previous: str, indented: bool) -> bool:
        """kramdown input: whether a line starting with # > ` or ~ is text (``` always, ~~~
        unless at its block's first column, the others after a paragraph line)."""
        if stripped.startswith("```") or (indented and stripped.startswith("~~~")):
            return True
        # (a lazy line under an item's text is that text's too)
        return previous in {"paragraph", "item"} and (
            stripped[0] in "#>" or stripped.startswith("~~~")
        )

    @staticmethod
    def after_quote(out: list[str]) -> bool:
        """Whether the last line written that is not blank belongs to a block quote."""
        last = next((line for line in reversed(out) if line.strip()), "")
        return last.startswith(">")

    def definition(self, stripped: str, indent: int, stack: list[_Item], loose: bool) -> str:
        """A definition's `: text` line, its content column pushed on `stack` as an item's;
        a token says whether kramdown writes its first paragraph as a `<p>`
        (kramdown_tree.DefinitionParagraphs)."""
        content = stripped[1:].lstrip(" ")
        source_column = indent + len(stripped) - len(content)
        parent = stack[-1] if stack else None
        output_column = (parent.output_column if parent else 0) + 4
        stack.append(_Item(source_column, output_column, False, indent, definition=True))
        # a block first in the definition has no paragraph to mark (and a token before it
        # would make it text)
        token = "" if BLOCK_START.match(content) else DEFINITION_TOKEN.format(int(loose))
        return " " * (output_column - 4) + ": " + token + content

    @staticmethod
    def item(marker: re.Match[str], parent: _Item | None, line: str) -> _Item:
        indent, symbol, space, content = marker.groups()
        gap = len(space) if content and len(space) <= 4 else 1
        source_column = len(indent) + len(symbol) + gap
        output_column = (parent.output_column if parent else 0) + 4
        return _Item(source_column, output_column, symbol[0].isdigit(), len(indent))

    def item_text(self, marker: re.Match[str]) -> str:
        symbol, space, content = marker.group(2, 3, 4)
        if self.extension.gfm and HASH_WORD.match(content):
            # `- #1234 fixed`: text, not a heading (a backslash, not a placeholder: the line
            # may still be a table row, bitcoincore.org's `- #11335 … save|restore…`)
            content = "\\" + content
        elif content.startswith("#"):
            # `- ####`: the item's text, not an empty heading (as a `#` line outside lists)
            nothing = self.md.htmlStash.store("")
            content = _atx_as_kramdown(content, gfm=self.extension.gfm, nothing=nothing)
        if len(space) > 4 and content:
            content = " " * (len(space) - 1) + content  # kramdown: code starts the item
        if not content:
            # an empty item (`- `); an empty placeholder keeps `- ` from reading as an underline
            return f"{symbol} {self.md.htmlStash.store('')}"
        return f"{symbol} {content}".rstrip()

    def attribute_list(
        self, line: str, previous: str, stack: list[_Item], indent: int
    ) -> list[str]:
        """A block IAL line → a token paragraph for BlockAttributes; an ALD line → nothing."""
        match = BLOCK_IAL.match(line)
        definition = ALD_LINE.match(line)
        if definition is not None:
            self.extension.definitions[definition.group(1)] = definition.group(2)
        if match is None or ALD.match(line):
            return [""]
        attributes = self.extension.attributes
        attributes.append((match.group(1), "next" if previous == "blank" else "previous"))
        self.extension.attribute_lines.append(line.strip())
        while stack and stack[-1].source_column > indent:
            stack.pop()
        pad = " " * (stack[-1].output_column if stack else 0)
        return ["", f"{pad}\ue000ial{len(attributes) - 1}\ue001", ""]


class _HtmlBlocks:
    """Where an HTML block that begins on a line ends, as kramdown's raw HTML parser reads
    it (kramdown_html.raw_element_end), for KramdownBlocks to keep its lines as written."""

    def __init__(self, lines: list[str], md: Markdown) -> None:
        self.lines = lines
        self.md = md
        self.text = ""
        self.starts: list[int] = []
        self.done = False  # once an element runs to the text's end, none after it is raw

    def extent(self, first: int) -> tuple[int, bool, str] | None:
        """(the index of the line after it, whether Python-Markdown too reads an HTML block
        there, what follows its end tag on its last line) for the raw HTML block kramdown
        reads from line `first`: an element that is no span element, whose own end tag ends
        a line or is followed by a tag (or that nothing closes), with no Markdown in it
        (`markdown="1"`). None for anything else."""
        if self.done:
            return None
        if not self.starts:
            self.text = "\n".join(self.lines)
            lengths = (len(line) + 1 for line in self.lines)
            self.starts = list(itertools.accumulate(lengths, initial=0))
        tag = HTML_BLOCK_START.match(self.text, self.starts[first])
        if tag is None or not opens_raw_block(tag):
            return None
        its_own = self.md.is_block_level(tag.group(1))
        end, stray, _ = raw_element_end(self.text, tag)
        if end is None:
            # nothing closes it: kramdown takes the rest of the text (and so Python-Markdown);
            # an end tag kramdown leaves as text is named by differences.py
            self.done = True
            if "markdown=" in self.text[tag.start() :]:
                return None
            # an end tag kramdown writes as text (`<pre><code></p>`): Python-Markdown would
            # close the element there, so the rest of the text is stashed as kramdown reads it
            return len(self.lines), its_own and stray is None, ""
        last = bisect.bisect_right(self.starts, end) - 1
        tail = self.text[end : self.starts[last + 1] - 1]
        if tail.strip() and not tail.startswith("<"):
            return None  # text after it: Python-Markdown reads it as kramdown does
        if "markdown=" in self.text[tag.start() : end]:
            return None
        return last + 1, its_own, tail if tail.strip() else ""


def _fenced_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of fenced code blocks, so extensions inside code stay text."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"^( *)(`{3,}|~{3,})[^\n]*\n", text, re.MULTILINE):
        if spans and match.start() < spans[-1][1]:
            continue
        indent, run = len(match.group(1)), match.group(2)
        closing_line = f"^ {{0,{indent + 3}}}{re.escape(run)}[{run[0]}]* *$"
        end = re.compile(closing_line, re.MULTILINE)
        closing = end.search(text, match.end())
        spans.append((match.start(), closing.end() if closing else len(text)))
    return spans


LEADING_TABS = re.compile(r"\t+")
INDENT = re.compile(r"\t| {4}")  # kramdown's: an indented code line starts so
SPACES_TAB = re.compile(r" {1,3}\t.*\S")  # what starts no block of kramdown's
LAZY_JOIN = re.compile(r" {0,3}\S")
# What ends indented code without a blank line (kramdown's CODEBLOCK_MATCH): a block IAL,
# an end-of-block marker, an HTML tag
CODE_END = re.compile(r" {0,3}(?:\{:(?!:|/)|\^\s*$|</?[A-Za-z])")


def _expand_indentation(line: str, *, item_column: int | None, in_fence: bool) -> str:
    """A line's leading tabs as kramdown reads them, in spaces where Python-Markdown counts
    columns. Inside a list item (its content at `item_column`) tabs at the line's very start
    are four spaces each (kramdown's list parser); past the item's column, a tab right there
    is indented code's and later ones stay as written, in the code. An indented code line
    loses its first tab or four spaces and keeps the rest as written, tabs and all; a fence
    outside lists keeps its lines as written."""
    bare = line.lstrip(" \t")
    indentation = line[: len(line) - len(bare)]
    if "\t" not in indentation:
        return line
    if item_column is not None:
        tabs = LEADING_TABS.match(indentation)
        if tabs:
            line = "    " * tabs.end() + line[tabs.end() :]
            indentation = "    " * tabs.end() + indentation[tabs.end() :]
        if in_fence:
            return line  # a fence's code keeps its other tabs as written
        rest = line.lstrip(" ")
        inner = len(line) - len(rest) - item_column
        if inner >= 4 or "\t" not in indentation:
            return line  # a code line's own tabs
        if inner == 0 and rest.startswith("\t"):
            return line[: len(line) - len(rest)] + "    " + rest[1:]
        return indentation.expandtabs(4) + bare
    if in_fence or indentation.startswith("    "):
        return line
    if indentation.startswith("\t"):
        return "    " + line[1:]  # kramdown's INDENT: a tab or four spaces, then the code
    return indentation.expandtabs(4) + bare


MARKER_GAP = re.compile(r" *(?:[-*+]|\d{1,9}\.)(?=[ \t]*\t)")


def _expand_marker_gap(line: str) -> str:
    """`-<tab>text` with the tab as the spaces to the next tab stop: kramdown's list marker
    may be followed by a tab (bitcoincore.org's `-\t[DEFINED]`, `1.\tOne`)."""
    marker = MARKER_GAP.match(line)
    if marker is None:
        return line
    rest = line[marker.end() :]
    gap = len(rest) - len(rest.lstrip(" \t"))
    expanded = (marker.group(0) + rest[:gap]).expandtabs(4)
    return expanded + rest[gap:]


def _quoted_in_item(line: str, column: int) -> bool:
    """Whether a line is a quote's line at an item's content column."""
    return not line[:column].strip() and QUOTED.match(line[column:]) is not None


OPENING_LINE = re.compile(r" {0,3}<([A-Za-z][\w-]*)")


def _in_html_block(lines: list[str], index: int) -> bool:
    """Whether line `index` lies inside an HTML block element opened on an earlier line
    and not closed before it (kramdown leaves what is there as written)."""
    for start in range(index - 1, -1, -1):
        opening = OPENING_LINE.match(lines[start])
        if opening and opening.group(1).lower() in BLOCK_TAGS:
            if start and lines[start - 1].strip():
                continue  # not at a block's start
            closing = re.compile(rf"</{opening.group(1)}\s*>", re.IGNORECASE)
            return not any(closing.search(line) for line in lines[start:index])
    return False


def _may_start_table(stripped: str, indent: int) -> bool:
    """Whether a line (`indent` columns into its block) is one kramdown may read as a table
    row: a pipe outside code spans, and no other block's start."""
    return (
        indent < 4
        and stripped[0] not in ":{"
        and not NOT_A_TABLE.match(stripped)
        and cells(stripped) is not None
    )


def _inner_indent(indent: int, stack: list[_Item]) -> int:
    """A line's indentation inside the innermost open item, as kramdown's list parser leaves
    it: each item takes its own width off a line indented at least that far (a lazy line
    less indented keeps its spaces)."""
    outer = 0
    for item in stack:
        if indent >= item.source_column - outer:
            indent -= item.source_column - outer
        outer = item.source_column
    return indent


ITEM_LINE = re.compile(r"( *)(\S+) (.*)")


def _as_heading(item_line: str, level: int) -> str:
    """`- text` as written for Python-Markdown → `- ## text`: the item holds a heading."""
    match = ITEM_LINE.fullmatch(item_line)
    if match is None:
        return item_line
    indent, marker, text = match.groups()
    return f"{indent}{marker} {'#' * level} {text}"


def _atx_as_kramdown(line: str, *, gfm: bool, nothing: str) -> str:
    """A `#` line written so that Python-Markdown reads it as kramdown does, `nothing` (an
    empty placeholder) put where it must not see a heading: a heading needs text (`####`
    or `## ##` alone is a paragraph's text, kramdown's `return false if text.empty?`), and
    with `input: GFM` a heading needs a blank after its #s (`#1234` is text) and only #s
    after a blank close it (`# C#` keeps its #).
    """
    match = ATX_LINE.fullmatch(line.rstrip())
    if match is None:
        return line
    rest = match.group(2)
    if gfm and rest and rest[0] not in " \t":
        return nothing + line  # kramdown-parser-gfm: no heading without a blank
    text = HEADER_ID.sub("", rest).strip()
    if gfm:
        text = re.sub(r"[\t ]#+$", "", text).rstrip()
    else:
        text = CLOSING_HASHES.sub("", text).rstrip()
    if not text:
        return nothing + line  # text, not an empty heading
    if gfm and CLOSING_HASHES.search(text):  # `# C#`: the #s are the heading's own text
        end = match.start(2) + rest.index(text) + len(text)
        return line[:end] + nothing + line[end:]
    return line


def _shift(line: str, shift: int) -> str:
    if shift > 0:
        return " " * shift + line
    if shift < 0:
        strip = min(-shift, len(line) - len(line.lstrip(" ")))
        return line[strip:]
    return line


class InlineMath(InlineProcessor):
    """kramdown's `$$…$$` inside a paragraph: inline math, rendered to MathML (tex.py)."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        budget = self.md.kramdown.tex_budget  # type: ignore[attr-defined]
        element = math_element(m.group(1), display=False, budget=budget)
        return element, m.start(0), m.end(0)


class WrittenCode(etree.Element):
    """A code span that remembers how it was written (backticks and all), for raw HTML
    that holds it (kramdown_html.RawSpanHtml)."""

    written = ""


class KramdownCodeSpan(BacktickInlineProcessor):
    """kramdown's code span (codespan.rb): a run of backticks up to the next same run, its
    text as written, but that a span of two or more loses one space at each end; a lone
    backtick between spaces is text."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | str | None, int | None, int | None]:
        if m.group(1):
            return super().handleMatch(m, data)
        begin = m.start(0)
        run = len(data) - begin - len(data[begin:].lstrip("`"))
        after = data[begin + run : begin + run + 1]
        if run == 1 and (not begin or data[begin - 1].isspace()) and after.isspace():
            return None, begin, begin + 1
        end = data.find("`" * run, begin + run)
        if end == -1:
            return None, begin, begin + run
        text = data[begin + run : end]
        if run > 1:
            text = text.removeprefix(" ").removesuffix(" ")
        element = WrittenCode(self.tag)
        element.text = AtomicString(code_escape(text))
        element.written = data[begin : end + run]
        return element, begin, end + run


class ReferenceOrText(ReferenceInlineProcessor):
    """`[text][id]` / `[text]`: when no definition has the id, only the first `[` is text
    and the brackets inside are read again, as kramdown reads them (`[[Bug #1]]` is
    `[` + the link `[Bug #1]` + `]`); Python-Markdown made the whole of it text. An id
    holding a code span is its text as written, as kramdown's (`` [`NoInfer`][] ``)."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | str | None, int | None, int | None]:
        node, start, end = super().handleMatch(m, data)
        return (None, None, None) if node is None else (node, start, end)

    def evalId(self, data: str, index: int, text: str) -> tuple[str | None, int, bool]:
        found, end, handled = super().evalId(data, index, text)
        return (self.as_written(found) if found else found), end, handled

    def as_written(self, found: str) -> str:
        """The id with the code spans already taken from it written back as in the source."""
        if STX not in found:
            return found
        stash = self.md.treeprocessors["inline"].stashed_nodes  # type: ignore[attr-defined]

        def written(match: re.Match[str]) -> str:
            return getattr(stash.get(match.group(1)), "written", "") or match.group(0)

        return INLINE_PLACEHOLDER_RE.sub(written, found).lower()


class ShortReferenceOrText(ShortReferenceInlineProcessor, ReferenceOrText):
    """`[text]` alone, as ReferenceOrText."""

    def evalId(self, data: str, index: int, text: str) -> tuple[str, int, bool]:
        found, end, handled = super().evalId(data, index, text)
        return self.as_written(found or ""), end, handled


class Guillemets(InlineProcessor):
    """kramdown's `<<` and `>>` → « », taken before `<<word>>` could look like an HTML tag."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int]:
        return ("\u00ab" if m.group(0) == "<<" else "\u00bb"), m.start(0), m.end(0)


class KramdownExtension(Extension):
    """Registers the pieces here and in kramdown_tree.py; `gfm` follows the site's
    `kramdown.input`."""

    def __init__(self, options: MarkdownOptions | None = None) -> None:
        super().__init__()
        self.options = options or MarkdownOptions()
        self.gfm = self.options.gfm
        self.attributes: list[tuple[str, str]] = []
        self.toc_lists: list[etree.Element] = []
        self.tex_budget = TexBudget()
        # the placeholder of each inline tag kept → (open/close, name, as written)
        self.span_tags: dict[str, tuple[str, str, str]] = {}
        # the HTML stash entries that are the post's HTML blocks: [start, end)
        self.html_blocks = (0, 0)
        # attribute list definitions (`{:name: .class #id}`) by name
        self.definitions: dict[str, str] = {}
        self.attribute_lines: list[str] = []  # each of `attributes` as written
        self.void_blocks: set[str] = set()  # placeholders of `<link>`-like lines
        self.bare_lines = False  # whether a paragraph is marked BARE_TOKEN

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.kramdown = self  # type: ignore[attr-defined]  # the tree processors' state
        md.preprocessors.register(KramdownWhitespace(md), "normalize_whitespace", 30)
        # After whitespace normalising (30), before SuperFences takes the fences (25).
        md.preprocessors.register(KramdownBlocks(md, self), "kramdown_blocks", 27)
        # Around Python-Markdown's HTML blocks (20): which stash entries they are.
        md.preprocessors.register(HtmlBlockMark(md, end=False), "kramdown_html_start", 20.5)
        md.preprocessors.register(NestedMarkdownHtml(md), "kramdown_nested_markdown", 20.7)
        md.preprocessors.register(HtmlBlockMark(md, end=True), "kramdown_html_end", 19.5)
        # Before the tables extension (75), after code blocks (80) and block math (79.9).
        md.parser.blockprocessors.register(KramdownTable(md.parser), "kramdown_table", 76)
        pattern = r"(?<![\\$])\$\$(?!\$)(.+?)(?<!\\)\$\$"
        md.inlinePatterns.register(InlineMath(pattern, md), "kramdown_inline_math", 189.8)
        md.inlinePatterns.register(Guillemets("<<|>>", md), "kramdown_guillemets", 95)
        md.inlinePatterns.register(KramdownCodeSpan(BACKTICK_RE), "backtick", 190)
        md.inlinePatterns.deregister("em_strong")
        md.inlinePatterns.register(KramdownEmphasis(md), "em_strong", 60)
        md.inlinePatterns.register(ReferenceOrText(REFERENCE_RE, md), "reference", 170)
        md.inlinePatterns.register(KramdownSpanHtml(HTML_RE, md), "html", 90)
        md.inlinePatterns.register(ShortReferenceOrText(REFERENCE_RE, md), "short_reference", 130)
        # After code spans (190), before escapes (180) and everything else.
        md.inlinePatterns.register(RawSpanHtml(RAW_START, md), "kramdown_raw_span", 185)
        # After inline parsing (20), before attr_list (8) and SmartyPants (6).
        md.treeprocessors.register(BlockAttributes(md), "kramdown_block_ial", 9)
        md.treeprocessors.register(KramdownAttributes(md), "attr_list", 8)  # in its place
        md.treeprocessors.register(DefinitionParagraphs(md), "kramdown_definitions", 9.5)
        # After the block IALs (9) and attr_list (8), which may give block math attributes.
        md.treeprocessors.register(BlockMath(md), "kramdown_block_math", 7.5)
        # After attr_list (8), which gives a code span its `{: .language-x}`.
        md.treeprocessors.register(RougeCode(md), "kramdown_rouge_code", 7.8)
        # Before pymdownx.highlight's own pass over indented code (30).
        md.treeprocessors.register(IndentedCode(md), "kramdown_indented_code", 31)
        md.treeprocessors.register(HeadingIds(md), "kramdown_heading_ids", 7)
        md.treeprocessors.register(Typography(md), "kramdown_typography", 6)
        # After Typography (6): the text of a bare line has kramdown's quotes too.
        md.treeprocessors.register(BareLines(md), "kramdown_bare_lines", 5.5)
        md.treeprocessors.register(ListsFromOne(md), "kramdown_lists_from_one", 25)
        # After the footnotes' own tree processors (50…15) have numbered the references.
        md.treeprocessors.register(UnreferencedFootnotes(md), "kramdown_footnotes", 14)
        # Right after inline parsing (20): tags paired before anything reads the text.
        md.treeprocessors.register(SpanTagBalance(md), "kramdown_span_tags", 19)
        md.treeprocessors.register(RawHtmlBlocks(md), "kramdown_raw_html", 5)
        # kramdown's escapable characters beyond Markdown's (`\"` is a straight quote)
        for char in KRAMDOWN_ESCAPES:
            if char not in md.ESCAPED_CHARS:
                md.ESCAPED_CHARS.append(char)

    def reset(self) -> None:
        self.attributes = []
        self.toc_lists = []
        self.tex_budget = TexBudget()
        self.span_tags = {}
        self.html_blocks = (0, 0)
        self.definitions = {}
        self.attribute_lines = []
        self.void_blocks = set()
        self.bare_lines = False
