"""kramdown's tree-level behaviour for the Python-Markdown extension in kramdown.py: block
attribute lists applied to their block, heading ids as kramdown makes them (with GFM
input: any script kept, `## 参考资料` → `id="参考资料"`), `* TOC\\n{:toc}`, and block math
rendered to MathML (tex.py).
"""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Iterator, Sequence
from typing import Any

from markdown import Markdown
from markdown.extensions.attr_list import AttrListTreeprocessor, get_attrs_and_remainder
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.toc import unescape
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, AtomicString

from microblog.jekyll.kramdown_html import replace_by_content
from microblog.jekyll.tex import math_element, math_source

IAL_TOKEN = re.compile("\ue000ial(\\d+)\ue001")
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _extension(md: Markdown) -> Any:
    """The KramdownExtension registered on `md` (its per-document state)."""
    return md.kramdown  # type: ignore[attr-defined]


# kramdown's own references kept as words: `* TOC\n{:toc}` (HeadingIds reads it)
KEPT_REFERENCES = frozenset({"toc"})


SPREAD_IAL = re.compile(r"\{:[^}\n]*\n[^}]*\}")


class KramdownAttributes(AttrListTreeprocessor):
    """Python-Markdown's attribute lists read as kramdown's IALs: a bare word names an
    attribute list definition (`{:ref: .c}` anywhere in the post, then `*x*{:ref}`), and
    is left out when none has that name."""

    def run(self, doc: etree.Element) -> None:
        for element in doc.iter():
            tail = element.tail
            if tail and tail.startswith("{:"):
                # kramdown's span IAL may run over a line break (Python-Markdown's stops at it)
                spread = SPREAD_IAL.match(tail)
                if spread:
                    element.tail = spread.group(0).replace("\n", " ") + tail[spread.end() :]
        super().run(doc)

    def assign_attrs(self, elem: etree.Element, attrs_string: str, *, strict: bool = False) -> str:
        attrs, remainder = get_attrs_and_remainder(attrs_string)
        if strict and remainder:
            return remainder
        expanded = " ".join(self.expand(attrs, depth=0))
        return super().assign_attrs(elem, expanded + remainder, strict=strict)

    def expand(self, attrs: Sequence[tuple[str, str | None]], depth: int) -> list[str]:
        definitions: dict[str, str] = _extension(self.md).definitions
        words = []
        for key, value in attrs:
            if key == ".":
                words.append(f".{value}")
            elif value is not None:
                quote = "'" if '"' in value else '"'
                words.append(f"{key}={quote}{value}{quote}")
            elif key in KEPT_REFERENCES:
                words.append(key)
            elif key in definitions and depth < 5:
                words.extend(self.expand(get_attrs_and_remainder(definitions[key])[0], depth + 1))
        return words


class BlockAttributes(Treeprocessor):
    """Applies block IAL tokens (from KramdownBlocks) to the block before or after them."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.assigner = KramdownAttributes(md)

    def run(self, root: etree.Element) -> None:
        self.extension = _extension(self.md)
        if not self.extension.attributes:
            return
        for parent in list(root.iter()):
            children = list(parent)
            for index, child in enumerate(children):
                if child.tag != "p" or len(child):
                    continue
                token = IAL_TOKEN.fullmatch((child.text or "").strip())
                if token is None:
                    continue
                attributes, direction = self.extension.attributes[int(token.group(1))]
                others = children[index + 1 :] if direction == "next" else children[:index][::-1]
                target = next((el for el in others if not IAL_TOKEN.search(el.text or "")), None)
                if target is not None:
                    self.assigner.assign_attrs(target, attributes)
                    if "toc" in target.attrib and target.tag in {"ul", "ol"}:
                        self.extension.toc_lists.append(target)
                parent.remove(child)


DEFINITION_TOKEN = re.compile("\ue000dd([01])\ue001")
# What ends a definition's first paragraph inside its <dd>
BLOCK_CHILDREN = frozenset(
    "p div pre ul ol dl blockquote table hr h1 h2 h3 h4 h5 h6 figure details".split()
)


class DefinitionParagraphs(Treeprocessor):
    """A definition's first paragraph as kramdown writes it: a `<p>` only when a blank line
    comes before its `:` (its text bare in the `<dd>` otherwise, even with more blocks
    after it), which KramdownBlocks marks with a token at the definition's start."""

    def run(self, root: etree.Element) -> None:
        for dd in root.iter("dd"):
            first = dd[0] if len(dd) and not (dd.text or "").strip() and dd[0].tag == "p" else None
            holder = first if first is not None else dd
            token = DEFINITION_TOKEN.match(holder.text or "")
            if token is None:
                continue
            holder.text = holder.text[token.end() :]  # type: ignore[index]
            loose = token.group(1) == "1"
            if first is not None and not loose:
                dd.text = None  # (only the blank before the <p>)
                replace_by_content(dd, first)
            elif first is None and loose:
                _wrap_text(dd)


def _wrap_text(dd: etree.Element) -> None:
    """The text and inline elements first in `dd` → a `<p>`."""
    paragraph = etree.Element("p")
    paragraph.text, dd.text = dd.text, None
    for child in list(dd):
        if child.tag in BLOCK_CHILDREN:
            break
        dd.remove(child)
        paragraph.append(child)
    dd.insert(0, paragraph)


def gfm_id(text: str) -> str:
    """kramdown-parser-gfm's header id: lower case, only word characters, spaces and
    hyphens kept (any script: `参考资料` stays), spaces become hyphens."""
    kept = []
    for char in text.lower():
        if char in " \t-" or unicodedata.category(char)[0] in "LMN" or char == "_":
            kept.append("-" if char in " \t" else char)
        elif unicodedata.category(char) == "Pc":
            kept.append(char)
    return "".join(kept)


def kramdown_id(text: str) -> str:
    """kramdown's own header id: ASCII letters, digits and hyphens from the first letter."""
    text = re.sub(r"^[^a-zA-Z]+", "", text)
    text = re.sub(r"[^a-zA-Z0-9 -]", "", text)
    return text.replace(" ", "-").lower() or "section"


class ListsFromOne(Treeprocessor):
    """kramdown numbers every ordered list from 1, whatever its first item's number (only
    an attribute list, applied after this, sets `start`)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter("ol"):
            element.attrib.pop("start", None)


class HeadingIds(Treeprocessor):
    """Heading ids as kramdown makes them, a counter suffix for repeats; and `{:toc}`."""

    def run(self, root: etree.Element) -> None:
        self.extension = _extension(self.md)
        options = self.extension.options
        make = gfm_id if self.extension.gfm else kramdown_id
        used: dict[str, int] = {}
        headings: list[tuple[int, str, str]] = []
        for element in root.iter():
            if element.tag not in HEADINGS:
                continue
            text = self.plain_text(element)
            if element.get("id") is None and options.auto_ids:
                base = make(text)
                if not base:
                    continue
                count = used.get(base, 0)
                used[base] = count + 1
                element.set("id", options.auto_id_prefix + (f"{base}-{count}" if count else base))
            headings.append((int(element.tag[1]), element.get("id") or "", text))
        if headings:
            for target in self.extension.toc_lists:
                _fill_toc(target, headings)
        elif self.extension.toc_lists:
            _drop(root, self.extension.toc_lists)  # kramdown writes nothing for an empty TOC

    def plain_text(self, element: etree.Element) -> str:
        """A heading's text as a reader sees it: inline HTML without its tags, entities
        decoded, escapes undone (what kramdown makes the id from)."""
        stash = self.md.htmlStash.rawHtmlBlocks

        def raw_text(match: re.Match[str]) -> str:
            index = int(match.group(1))
            raw = stash[index] if index < len(stash) else ""
            return html.unescape(re.sub(r"<[^>]+>", "", str(raw)))

        return unescape(HTML_PLACEHOLDER_RE.sub(raw_text, "".join(_text_with_tex(element))))


def _text_with_tex(element: etree.Element) -> Iterator[str]:
    """An element's text, each `<math>` in it as the TeX kramdown sees there (`\\(…\\)`)."""
    if element.tag == "math":
        yield f"\\({math_source(element) or ''}\\)"
    else:
        yield element.text or ""
        for child in element:
            yield from _text_with_tex(child)
            yield child.tail or ""


ARITHMATEX_ESCAPES = (("&quot;", '"'), ("&gt;", ">"), ("&lt;", "<"), ("&amp;", "&"))


class BlockMath(Treeprocessor):
    """Arithmatex's block math (`$$` lines) as `<math display="block">` (tex.py), any
    attributes a block IAL gave it kept."""

    def run(self, root: etree.Element) -> None:
        budget = _extension(self.md).tex_budget
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag != "div" or child.get("class") != "arithmatex":
                    continue
                tex = (child.text or "").removeprefix("\\[").removesuffix("\\]")
                # Arithmatex escaped the TeX as HTML text (&, <, > and ")
                for escaped, char in ARITHMATEX_ESCAPES:
                    tex = tex.replace(escaped, char)
                math = math_element(tex, display=True, budget=budget)
                math.attrib.update({k: v for k, v in child.attrib.items() if k != "class"})
                math.tail = child.tail
                parent[index] = math


def _drop(root: etree.Element, elements: list[etree.Element]) -> None:
    """Each of `elements` taken out of the tree under `root`, the text after it kept."""
    unwanted = {id(element) for element in elements}
    for parent in list(root.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if id(child) not in unwanted:
                continue
            if child.tail:
                if index:
                    parent[index - 1].tail = (parent[index - 1].tail or "") + child.tail
                else:
                    parent.text = (parent.text or "") + child.tail
            parent.remove(child)


def _fill_toc(target: etree.Element, headings: list[tuple[int, str, str]]) -> None:
    """kramdown's `* TOC\\n{:toc}`: the list becomes the post's headings, nested by level."""
    del target.attrib["toc"]
    target.set("id", "markdown-toc")
    for child in list(target):
        target.remove(child)
    levels: list[tuple[int, etree.Element]] = [(0, target)]
    for level, anchor, text in headings:
        while len(levels) > 1 and levels[-1][0] >= level:
            levels.pop()
        parent = levels[-1][1]
        if parent is not target and parent.tag == "li":
            sub = parent.find(target.tag)
            parent = sub if sub is not None else etree.SubElement(parent, target.tag)
        item = etree.SubElement(parent, "li")
        link = etree.SubElement(item, "a", {"href": f"#{anchor}", "id": f"markdown-toc-{anchor}"})
        link.text = text
        levels.append((level, item))


class UnreferencedFootnotes(Treeprocessor):
    """kramdown writes only the footnotes the text refers to (an excerpt cut before a
    footnote's reference shows no footnotes); Python-Markdown writes every definition.
    A footnote referred to more than once has kramdown's backlinks: `↩ ↩² ↩³`."""

    def run(self, root: etree.Element) -> None:
        footnotes = next(
            (ext for ext in self.md.registeredExtensions if isinstance(ext, FootnoteExtension)),
            None,
        )
        if footnotes is None or not footnotes.footnotes:
            return
        # kramdown numbers them in the order the text refers to them (Python-Markdown's
        # inline pass may meet a list's references after a later paragraph's)
        numbers: dict[str, int] = {}
        references = []
        for element in root.iter("a"):
            if element.get("class") == "footnote-ref":
                target = (element.get("href") or "").removeprefix("#")
                numbers.setdefault(target, len(numbers) + 1)
                references.append((element, numbers[target]))
        for element, number in references:
            element.text = str(number)
        for parent in list(root.iter()):
            for div in list(parent):
                if div.tag != "div" or div.get("class") != "footnote":
                    continue
                items = div.find("ol")
                if items is None:
                    continue
                kept = [item for item in items if item.get("id") in numbers]
                for item in kept:
                    number_backlinks(item)
                for item in list(items):
                    items.remove(item)
                items.extend(sorted(kept, key=lambda item: numbers[item.get("id") or ""]))
                if not kept:
                    parent.remove(div)


def number_backlinks(item: etree.Element) -> None:
    """A footnote's second and later backlinks as kramdown writes them: a space before
    each, its number in a `<sup>` (Python-Markdown writes `↩↩↩`)."""
    links = [link for link in item.iter("a") if link.get("class") == "footnote-backref"]
    for number, link in enumerate(links[1:], start=2):
        etree.SubElement(link, "sup").text = str(number)
        before = links[number - 2]
        before.tail = (before.tail or "") + " "


SYMBOLS = {"---": "\u2014", "--": "\u2013", "...": "\u2026"}
QUOTES = {
    ("ldquo", '"'): "\u201c",
    ("rdquo", '"'): "\u201d",
    ("lsquo", "'"): "\u2018",
    ("rsquo", "'"): "\u2019",
}
LITERAL_TAGS = frozenset({"code", "pre", "kbd", "samp", "script", "style", "math"})
STASHED = re.compile("\x02(?:(\\d+)|wzxhzdk:(\\d+))\x03")
# kramdown's span parsers, as far as they can start in a run of plain text, in kramdown's
# order: where several start at one place the first wins (`*'` is emphasis that fails, then
# a quote with nothing before it), and a quote's start takes the one character before it.
SPAN_START = re.compile(
    r"""(?P<text>\*\*?|__?|`+|!?\[)|(?P<quote>[^\\]?["'])|(?P<symbol>---|--|\.\.\.)"""
)
# kramdown's smart_quotes.rb (from RubyPants), rule by rule. Ruby's \w and \s are ASCII;
# its \b is Unicode's, as Python's is.
WORD = "[A-Za-z0-9_]"
SPACE = "[ \t\r\n\f\v]"
PUNCTUATION = r"""[!"#$%'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"""
QUOTE_RULES: list[tuple[re.Pattern[str], tuple[str | int, ...]]] = [
    (re.compile(r"""(["'])(?=[_*]{1,2}[^ \t\r\n\f\v])"""), ("lquote1",)),
    (re.compile(rf"""(["'])(?={PUNCTUATION}(?!\.\.)\B)"""), ("rquote1",)),
    (re.compile(rf"""({SPACE}?)"'(?={WORD})"""), (1, "ldquo", "lsquo")),
    (re.compile(rf"""({SPACE}?)'"(?={WORD})"""), (1, "lsquo", "ldquo")),
    (re.compile(rf"""({SPACE}?)'(?=\d\ds)""", re.ASCII), (1, "rsquo")),
    (re.compile(rf"""({SPACE})(['"])(?={WORD})"""), (1, "lquote2")),
    (re.compile(r"""([^ \\\t\r\n\[{(-])(['"])"""), (1, "rquote2")),
    (re.compile(rf"""(["'])(?={SPACE}|s\b|$)""", re.MULTILINE), ("rquote1",)),
    (re.compile(r"""(.?)'""", re.DOTALL), (1, "lsquo")),
    (re.compile(r'(.?)"', re.DOTALL), (1, "ldquo")),
]
# What kramdown's source holds where an inline element opens and closes (its quote rules
# look past a run's end).
OPENING = {"em": "*", "strong": "**", "a": "[", "img": "![", "code": "`", "sup": "[^", "del": "~~"}
CLOSING = {"em": "*", "strong": "**", "a": "](", "del": "~~"}
SIDE = {"lquote": ("ldquo", "lsquo"), "rquote": ("rdquo", "rsquo")}


def _quote(kind: str, match: re.Match[str]) -> str:
    """The character for a rule's quote: `ldquo`, or `rquote2` (whichever its group holds)."""
    if kind[-1].isdigit():
        symbol = match.group(int(kind[-1]))
        kind = SIDE[kind[:-1]][symbol == "'"]
    return QUOTES[kind, '"' if kind.endswith("dquo") else "'"]


def _opening(element: etree.Element) -> str:
    return OPENING.get(element.tag, "<") + (element.text or "")[:2]


def typographic(run: str, following: str = "") -> str:
    """kramdown's typographic quotes and dashes in one run of text (what an element or
    inline HTML ends), as its span parser goes: `following` is what its rules may see
    after the run, not change."""
    text = run + following
    out: list[str] = []
    position = 0
    while position < len(run):
        start = SPAN_START.search(run, position)
        if start is None:
            break
        out.append(run[position : start.start()])
        position = start.end()
        if start.group("text"):  # a span that did not parse (emphasis, code, link): text
            out.append(start.group(0))
            continue
        if start.group("symbol"):
            out.append(SYMBOLS[start.group(0)])
            continue
        for rule, parts in QUOTE_RULES:
            found = rule.match(text, start.start())
            if found and found.end() <= len(run):
                out.extend(
                    found.group(part) if isinstance(part, int) else _quote(part, found)
                    for part in parts
                )
                position = found.end()
                break
        else:  # (a quote rule always matches what started as a quote)
            out.append(start.group(0))
    out.append(run[position:])
    return "".join(out)


class Typography(Treeprocessor):
    """kramdown's typographic symbols: “ ” ‘ ’ – — …, as characters (« » are
    kramdown.Guillemets, which must come before inline HTML).

    One regex pass over the text nodes: SmartyPants (`smarty`) does the same with some
    fifteen inline patterns and a second inline pass, which tripled the cost of a post.
    Each text node is a run of text as kramdown sees it (an element or inline HTML before
    it starts a new run), which is what its quote rules look at.
    """

    def run(self, root: etree.Element) -> None:
        self.walk(root, "")

    def walk(self, element: etree.Element, after: str) -> None:
        """Converts the element's runs; `after` is what kramdown sees after its tail."""
        if element.tag not in LITERAL_TAGS:
            children = list(element)
            end = ""
            if element.tag in OPENING:  # an inline element: its closing, then its tail
                end = CLOSING.get(element.tag, "") + ((element.tail or "")[:2] or after)
            element.text = self.convert(element.text, _opening(children[0]) if children else end)
            for index, child in enumerate(children):
                following = _opening(children[index + 1]) if index + 1 < len(children) else end
                self.walk(child, following)
        element.tail = self.convert(element.tail, after)

    def convert(self, text: str | None, following: str = "") -> str | None:
        if not text or isinstance(text, AtomicString):
            return text
        # an escaped character or inline HTML (stashed) ends a run: kramdown's rules then see
        # that character, or the tag's first characters, after it
        out, position = [], 0
        stash = self.md.htmlStash.rawHtmlBlocks
        for stashed in STASHED.finditer(text):
            if stashed.group(1):
                seen = chr(int(stashed.group(1)))
            else:
                index = int(stashed.group(2))
                seen = html.unescape(str(stash[index]))[:2] if index < len(stash) else "<"
            out += [typographic(text[position : stashed.start()], seen), stashed.group(0)]
            position = stashed.end()
        out.append(typographic(text[position:], following))
        return "".join(out)


BARE_TOKEN = "\ue000bare\ue001"


class BareLines(Treeprocessor):
    """A paragraph KramdownBlocks marked with BARE_TOKEN → its content in no `<p>`: kramdown
    writes a line that starts no block (1-3 spaces then a tab) as text, its spans parsed,
    in no paragraph."""

    def run(self, root: etree.Element) -> None:
        if not _extension(self.md).bare_lines:
            return
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "p" and (child.text or "").startswith(BARE_TOKEN):
                    child.text = "\n" + child.text.removeprefix(BARE_TOKEN)  # type: ignore[union-attr]
                    replace_by_content(parent, child)
