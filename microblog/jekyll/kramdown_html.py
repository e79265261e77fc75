"""kramdown's HTML inside a paragraph (parser/kramdown/html.rb, parse_span_html), for the
Python-Markdown extension in kramdown.py.

- A tag is what kramdown's HTML_TAG_RE takes (an XML name, attributes `name`, `name=word`
  or `name="…"`); anything else (`<seq[char]>`, `<File:/dev/tty>`) is text, and so is a
  block element's tag (`<div>`, `</li>`) there.
- An element whose content kramdown leaves raw (any tag but the span and block ones it
  knows: `<u>`, `<kbd>`, `<word word>`…) takes its text as written up to its end tag, or to
  the end of the paragraph when it has none; its `<`, `>` and `&` are escaped, its tags kept.
- `markdown="0"`, `"1"`, `"span"` choose raw or parsed content, and the attribute goes.
- An end tag that closes nothing open (`</a>` alone) is text; a tag left open is closed
  at the end of the paragraph (SpanTagBalance), so no post leaves a `<b>` or `<a>` open
  for the browser to carry on into the rest of the page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from html import escape
from typing import Any, NamedTuple

from markdown import Markdown
from markdown.inlinepatterns import HtmlInlineProcessor, InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, INLINE_PLACEHOLDER_RE

# kramdown's content models (parser/html.rb): inside these, Markdown is parsed
PARSED_SPAN_CONTENT = frozenset(
    "a abbr acronym b bdo big button cite caption del dfn dt em h1 h2 h3 h4 h5 h6 i ins label"
    " legend optgroup p q rb rbc rp rt rtc ruby select small span strong sub sup th tt".split()
)
BLOCK_CONTENT = frozenset(
    "address applet article aside blockquote body dd details div dl fieldset figure"
    " figcaption footer form header hgroup iframe li main map menu nav noscript object"
    " section summary td".split()
)
SPAN_ELEMENTS = frozenset(
    "a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label mark"
    " option q rb rbc rp rt rtc ruby samp select small span strong sub sup tt u var".split()
)
BLOCK_TAGS = frozenset(
    "address article aside applet body blockquote caption col colgroup dd div dl dt fieldset"
    " figcaption footer form h1 h2 h3 h4 h5 h6 header hgroup hr html head iframe legend menu"
    " li main map nav ol optgroup p pre section summary table tbody td th thead tfoot tr ul".split()
)
WITHOUT_BODY = frozenset(
    "area base br col command embed hr img input keygen link meta param source track wbr".split()
)
RAW_CONTENT = frozenset("script style math option textarea pre code kbd samp var".split())
# kramdown's HTML_ELEMENT: names it knows, matched without regard to case
KNOWN = (
    PARSED_SPAN_CONTENT | BLOCK_CONTENT | SPAN_ELEMENTS | BLOCK_TAGS | WITHOUT_BODY | RAW_CONTENT
)

IAL_TOKEN = re.compile("\ue000ial(\\d+)\ue001")  # kramdown_tree's, for a block IAL line

# REXML's UNAME_STR (an XML name, an optional prefix) and kramdown's HTML_TAG_RE
NAME = r"[^\W\d][\w.-]*(?::[^\W\d][\w.-]*)?"
ATTRIBUTES = rf"""(?:\s+{NAME}(?:\s*=\s*(?:\w+|"[^"]*"|'[^']*'))?)*"""
OPEN_TAG = re.compile(rf"<({NAME})({ATTRIBUTES})\s*(/)?>")
CLOSE_TAG = re.compile(rf"</({NAME})\s*>")
# An element without content that is not a span element to kramdown: block HTML
VOID_BLOCK_TAG = (
    rf"<(?:link|meta|base|source|track|param|embed|area|command|keygen)\b{ATTRIBUTES}\s*/?>"
)
ANY_TAG = re.compile(rf"{OPEN_TAG.pattern}|{CLOSE_TAG.pattern}")
MARKDOWN_ATTRIBUTE = re.compile(r"""\s+markdown\s*=\s*(?:"([^"]*)"|'([^']*)'|(\w+))""")
ENTITY = re.compile(r"&(?:[\w:][\w.:-]*|#\d+|#x[0-9a-fA-F]+);")
# An opening tag where kramdown's span HTML parser would meet it: not `<<` (guillemets),
# not escaped, not a link's `](<url>)`
RAW_START = rf"(?<![<\\])(?<!\]\()<({NAME})({ATTRIBUTES})\s*(/)?>"


def _extension(md: Markdown) -> Any:
    return md.kramdown  # type: ignore[attr-defined]


def tag_key(name: str) -> str:
    """How kramdown compares tag names: a known element's without regard to case."""
    lower = name.lower()
    return lower if lower in KNOWN else name


def markdown_mode(attributes: str) -> str | None:
    """The value of a `markdown` attribute, if the tag has one."""
    found = MARKDOWN_ATTRIBUTE.search(attributes)
    if found is None:
        return None
    return next(value for value in found.groups() if value is not None)


def without_markdown_attribute(tag: str) -> str:
    """The tag as written, less its `markdown` attribute (kramdown never writes it)."""
    return MARKDOWN_ATTRIBUTE.sub("", tag)


def parses_content(name: str, mode: str | None) -> bool:
    """Whether kramdown parses a span element's content as Markdown (parse_span_html)."""
    model = "raw" if name not in PARSED_SPAN_CONTENT | BLOCK_CONTENT else "parsed"
    if mode == "0":
        return False
    if mode == "span":
        return True
    return model != "raw"


def balanced_raw(text: str) -> str:
    """Raw element content as kramdown writes it: its tags kept (an end tag that closes
    nothing becomes text, what is left open is closed), its other `<`, `>`, `&` escaped."""
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in ANY_TAG.finditer(text):
        out.append(_escaped_text(text[position : match.start()]))
        position = match.end()
        tag = match.group(0)
        if tag.startswith("</"):
            key = tag_key(match.group(4))
            if stack and stack[-1] == key:
                stack.pop()
                out.append(tag)
            else:
                out.append(escape(tag, quote=False))
            continue
        out.append(without_markdown_attribute(tag))
        if not match.group(3) and tag_key(match.group(1)) not in WITHOUT_BODY:
            stack.append(tag_key(match.group(1)))
    out.append(_escaped_text(text[position:]))
    out.extend(f"</{name}>" for name in reversed(stack))
    return "".join(out)


def _escaped_text(text: str) -> str:
    """Text with `<`, `>` and `&` escaped, but entities kept as written."""
    pieces = []
    position = 0
    for entity in ENTITY.finditer(text):
        pieces.append(escape(text[position : entity.start()], quote=False))
        pieces.append(entity.group(0))
        position = entity.end()
    pieces.append(escape(text[position:], quote=False))
    return "".join(pieces)


class RawSpanHtml(InlineProcessor):
    """An inline element whose content kramdown leaves raw: kept as written up to its end
    tag, or to the end of the paragraph when it has none (kramdown closes it there)."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[str | None, int | None, int | None]:
        name = tag_key(m.group(1))
        if name in BLOCK_TAGS or name in WITHOUT_BODY or m.group(3):
            return None, None, None
        if parses_content(name, markdown_mode(m.group(2))):
            return None, None, None
        flags = re.IGNORECASE if name in KNOWN else 0
        end_tag = re.compile(rf"</{re.escape(m.group(1))}\s*>", flags).search(data, m.end())
        inner = data[m.end() : end_tag.start() if end_tag else len(data)]
        raw = (
            without_markdown_attribute(m.group(0))
            + balanced_raw(self.restore_code(inner))
            + f"</{m.group(1)}>"
        )
        return self.md.htmlStash.store(raw), m.start(0), end_tag.end() if end_tag else len(data)

    def restore_code(self, text: str) -> str:
        """The text with the code spans already taken from it written back: as written when
        known (to kramdown raw content has no code spans: `&#124;` stays an entity, `<b>` a
        tag), else as code whose text is escaped already (a placeholder keeps it so)."""
        stash = self.md.treeprocessors["inline"].stashed_nodes  # type: ignore[attr-defined]

        def written(match: re.Match[str]) -> str:
            node = stash.get(match.group(1))
            if isinstance(node, etree.Element):
                written = getattr(node, "written", "")
                if written:
                    return written
                text = "".join(node.itertext())
                return self.md.htmlStash.store(f"`{text}`" if node.tag == "code" else text)
            return match.group(0)

        return INLINE_PLACEHOLDER_RE.sub(written, text)


class KramdownSpanHtml(HtmlInlineProcessor):
    """A tag in a paragraph as kramdown reads it: what is no tag to kramdown, and a block
    element's tag, stay text; a `markdown` attribute goes. Each tag kept is noted for
    SpanTagBalance."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | str | None, int | None, int | None]:
        raw = m.group(1)
        if raw.startswith(("<!", "<?")):
            return super().handleMatch(m, data)
        opening = OPEN_TAG.fullmatch(raw)
        closing = CLOSE_TAG.fullmatch(raw)
        tag = opening or closing
        if tag is None or tag_key(tag.group(1)) in BLOCK_TAGS:
            return None, None, None
        key = tag_key(tag.group(1))
        raw = self.backslash_unescape(self.unescape(without_markdown_attribute(raw)))
        placeholder = self.md.htmlStash.store(raw)
        if closing:
            _extension(self.md).span_tags[placeholder] = ("close", key, raw)
        elif opening and not opening.group(3) and key not in WITHOUT_BODY:
            _extension(self.md).span_tags[placeholder] = ("open", key, raw)
        return placeholder, m.start(0), m.end(0)


class SpanTagBalance(Treeprocessor):
    """kramdown's pairing of the tags in a paragraph (each element's own text): an end tag
    closes the element opened last or is text; an element left open is closed at the end."""

    def run(self, root: etree.Element) -> None:
        self.tags: dict[str, tuple[str, str, str]] = _extension(self.md).span_tags
        if self.tags:
            for element in root.iter():
                self.balance(element)

    def balance(self, element: etree.Element) -> None:
        stack: list[str] = []

        def pair(match: re.Match[str]) -> str:
            found = self.tags.get(match.group(0))
            if found is None:
                return match.group(0)
            kind, key, raw = found
            if kind == "open":
                stack.append(key)
            elif stack and stack[-1] == key:
                stack.pop()
            else:
                # text, kept stashed: kramdown took it whole, so a quote after it starts afresh
                return self.md.htmlStash.store(escape(raw, quote=False))
            return match.group(0)

        element.text = self.paired(element.text, pair)
        for child in element:
            child.tail = self.paired(child.tail, pair)
        if stack:
            closing = "".join(self.md.htmlStash.store(f"</{key}>") for key in reversed(stack))
            if len(element):
                element[-1].tail = (element[-1].tail or "") + closing
            else:
                element.text = (element.text or "") + closing

    @staticmethod
    def paired(text: str | None, pair: Any) -> str | None:
        if not text or "\x02" not in text:
            return text
        return HTML_PLACEHOLDER_RE.sub(pair, text)


# kramdown's raw HTML parser (parser/html.rb, parse_raw_html): what it keeps as written
KEPT_UNTIL = {
    "<!--": re.compile(r"-->"),
    "<![CDATA[": re.compile(r"\]\]>"),
    "<?": re.compile(r"\?>"),
    "<!": re.compile(r">"),
    "<script": re.compile(r"</script\s*>", re.IGNORECASE),
    "<style": re.compile(r"</style\s*>", re.IGNORECASE),
}
KEPT_START = re.compile(r"<!--|<!\[CDATA\[|<\?|<!|<script\b|<style\b", re.IGNORECASE)
SPECIAL = re.compile(r"[<>&]")


def kramdown_raw_html(text: str, stack: list[str], *, strict: bool = False) -> str:
    """An HTML block as kramdown writes it: tags, comments, scripts kept; a `<` that opens
    no tag (`<p<There`, `<img src=a.png>`) and an end tag that closes nothing open
    (`stack`: the elements open so far in the post) written as text. `strict`: kramdown's
    own pairing (an end tag closes the innermost open element only, else it is text; what is
    left open is closed at the end), for a block that holds the rest of the post."""
    out: list[str] = []
    position = 0
    unended: set[str] = set()  # what has no end after some point has none after any later
    for special in SPECIAL.finditer(text):
        start = special.start()
        if start < position:
            continue  # inside a tag or comment already kept
        out.append(text[position:start])
        position = start + 1
        char = special.group(0)
        if char == "&":
            out.append("&" if ENTITY.match(text, start) else "&amp;")
            continue
        if char == ">":
            out.append("&gt;")
            continue
        kept = KEPT_START.match(text, start)
        if kept and kept.group(0).lower() not in unended:
            opener = kept.group(0).lower()
            end = KEPT_UNTIL[opener].search(text, kept.end())
            if end is not None:
                position = end.end()
                out.append(text[start:position])
                continue
            unended.add(opener)
        token = OPEN_TAG.match(text, start)
        closing = None if token else CLOSE_TAG.match(text, start)
        if token is not None:
            position = token.end()
            out.append(token.group(0))
            key = tag_key(token.group(1))
            if not token.group(3) and key not in WITHOUT_BODY:
                stack.append(key)
        elif closing is not None and (
            stack[-1:] == [tag_key(closing.group(1))]
            if strict
            else tag_key(closing.group(1)) in stack
        ):
            position = closing.end()
            key = tag_key(closing.group(1))
            while stack.pop() != key:
                pass
            out.append(closing.group(0))
        else:
            out.append("&lt;")  # no tag, or an end tag closing nothing: text
    out.append(text[position:])
    if strict:
        out.extend(f"</{key}>" for key in reversed(stack))
    return "".join(out)


def _unwrap(root: etree.Element, placeholders: set[str]) -> None:
    """Each paragraph that is only one of `placeholders` becomes that placeholder alone
    (raw HTML that kramdown writes as a block, not inside a `<p>`)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag != "p" or len(child) or (child.text or "").strip() not in placeholders:
                continue
            child.text = "\n" + (child.text or "").strip() + "\n"
            replace_by_content(parent, child)


def replace_by_content(parent: etree.Element, element: etree.Element) -> None:
    """`element` in `parent` → its text and children in its place."""
    index = list(parent).index(element)
    text = (element.text or "") + ("" if len(element) else (element.tail or ""))
    if index:
        before = parent[index - 1]
        before.tail = (before.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + (element.tail or "")


class HtmlBlockMark(Preprocessor):
    """Notes where in the HTML stash the HTML blocks begin (before `html_block`) or end
    (after it): what RawHtmlBlocks rewrites, and nothing stashed otherwise."""

    def __init__(self, md: Markdown, end: bool) -> None:
        super().__init__(md)
        self.end = end

    def run(self, lines: list[str]) -> list[str]:
        mark = len(self.md.htmlStash.rawHtmlBlocks)
        extension = _extension(self.md)
        extension.html_blocks = (extension.html_blocks[0], mark) if self.end else (mark, mark)
        return lines


class RawHtmlBlocks(Treeprocessor):
    """Each HTML block as kramdown's raw HTML parser writes it (kramdown_raw_html), the
    post's blocks in order, so an end tag may close what an earlier block opened."""

    def run(self, root: etree.Element) -> None:
        extension = _extension(self.md)
        if extension.void_blocks:
            _unwrap(root, extension.void_blocks)
        start, end = extension.html_blocks
        blocks = self.md.htmlStash.rawHtmlBlocks
        stack: list[str] = []

        def written(token: re.Match[str]) -> str:
            return str(extension.attribute_lines[int(token.group(1))])

        for index in range(start, min(end, len(blocks))):
            block = blocks[index]
            if isinstance(block, str) and "\ue000" in block:
                # an attribute list line inside raw HTML is text to kramdown
                block = blocks[index] = IAL_TOKEN.sub(written, block)
            if isinstance(block, str) and SPECIAL.search(block):
                blocks[index] = kramdown_raw_html(block, stack)


# A block element's tag at the start of a line (where an HTML block's elements are)
LINE_TAG = re.compile(rf"^[ \t]*<(/?)({NAME})({ATTRIBUTES})\s*(/?)>", re.MULTILINE)
OPENS_BLOCKS = BLOCK_TAGS | BLOCK_CONTENT


class NestedMarkdownHtml(Preprocessor):
    """kramdown parses a `markdown="1"` element's content even inside an HTML block it
    leaves raw (bitcoincore.org's table of contents, a `<div markdown="1">` in a
    `<section>`); Python-Markdown's md_in_html only inside elements that say so. Each
    element around such a one is told `markdown="block"` (md_in_html drops the attribute)."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "markdown=" not in text:
            return lines
        stack: list[tuple[str, int, bool]] = []  # name, where its attributes end, says so
        marks: set[int] = set()
        for tag in LINE_TAG.finditer(text):
            closing, name, attributes, empty = tag.groups()
            key = tag_key(name)
            if key not in OPENS_BLOCKS or key in WITHOUT_BODY or empty:
                continue
            if closing:
                if any(open_key == key for open_key, _, _ in stack):
                    while stack.pop()[0] != key:
                        pass
                continue
            mode = markdown_mode(attributes)
            if mode in {"1", "block"}:
                marks.update(at for _, at, says in stack if not says)
            stack.append((key, tag.end(3), mode is not None))
        for at in sorted(marks, reverse=True):
            text = text[:at] + ' markdown="block"' + text[at:]
        return text.split("\n")


# kramdown's block HTML start (parse_block_html): a tag at a line's start, not a span element's
HTML_BLOCK_START = re.compile(rf"^ {{0,3}}<({NAME})({ATTRIBUTES})\s*(/)?>", re.MULTILINE)
# What kramdown's parse_raw_html reads inside an element: comments and processing
# instructions as written, a script's or style's text up to its end tag, tags
RAW_TOKEN = re.compile(
    rf"<!--.*?-->|<\?.*?\?>|<(script|style)\b.*?</\1\s*>|{OPEN_TAG.pattern}|{CLOSE_TAG.pattern}",
    re.DOTALL | re.IGNORECASE,
)


def opens_raw_block(tag: re.Match[str]) -> bool:
    """Whether an HTML_BLOCK_START match opens an element whose content kramdown reads as
    raw HTML up to its end tag (no span element, no `markdown` attribute, not empty)."""
    key = tag_key(tag.group(1))
    return not (
        key in SPAN_ELEMENTS
        or key in WITHOUT_BODY
        or tag.group(3)
        or markdown_mode(tag.group(2)) is not None
    )


class RawEnd(NamedTuple):
    """Where kramdown's raw HTML parse of an element ends: `end`, the end of its end tag;
    else `stray`, the first end tag kramdown writes as text though it names an element open
    further out (a browser or Python-Markdown would close it), `inner` the element left open
    inside; neither when nothing closes it (kramdown takes the rest of the text)."""

    end: int | None
    stray: re.Match[str] | None = None
    inner: str = ""


def raw_element_end(text: str, tag: re.Match[str]) -> RawEnd:
    """Where the element `tag` opens ends, as kramdown's parse_raw_html reads it: an end tag
    closes the innermost open element only; any other end tag is text."""
    stack = [tag_key(tag.group(1))]
    for token in RAW_TOKEN.finditer(text, tag.end()):
        if token.group(2):
            if not token.group(4) and tag_key(token.group(2)) not in WITHOUT_BODY:
                stack.append(tag_key(token.group(2)))
        elif token.group(5):
            key = tag_key(token.group(5))
            if key == stack[-1]:
                stack.pop()
                if not stack:
                    return RawEnd(token.end())
            elif key in stack:
                return RawEnd(None, token, stack[-1])
    return RawEnd(None)
