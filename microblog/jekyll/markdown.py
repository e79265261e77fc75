"""Markdown → HTML for post bodies and excerpts, rendered once at import, as kramdown
(Jekyll's Markdown) renders them.

Python-Markdown with kept extensions: tables, footnotes, sane lists, attribute lists,
`markdown="1"` inside HTML (md_in_html), pymdown-extensions' SuperFences (fenced code, also
inside list items; highlighted by highlight.py, `linenums="1"` numbers the lines) and
Arithmatex (`$$` block math, rendered to MathML by tex.py). What no extension does
(two-space list nesting, block IALs, `{::comment}`, `{::nomarkdown}`, kramdown's heading
ids, and its typographic quotes and dashes as characters, which SmartyPants would do at
three times the cost) is in kramdown.py and kramdown_tree.py. `gfm` follows the site's
`kramdown.input` (Jekyll's default is GFM).

Excerpts follow Jekyll: the front matter's `excerpt` as written (Jekyll converts neither
its Markdown nor its Liquid), else the text before the `excerpt_separator` (the front
matter's, else the site's, else Jekyll's default "\\n\\n", i.e. the first paragraph:
`<!--more-->` is no separator unless a setting says so), with the body's reference-style
link and footnote definitions appended so that its links still resolve (a footnote whose
reference is cut off is left out, as kramdown leaves it out).

The render is bounded: a text over MAX_SOURCE characters, or nested deeper than
kramdown.py allows, is refused with MarkdownTooComplex instead of taking seconds or
overflowing the stack.
"""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

import markdown

from microblog.jekyll.highlight import fence_format, fence_validator
from microblog.jekyll.kramdown import KramdownExtension, MarkdownTooComplex
from microblog.jekyll.settings import MarkdownOptions

DEFAULT_OPTIONS = MarkdownOptions()
KRAMDOWN_INPUT = MarkdownOptions(gfm=False)

__all__ = ["MarkdownTooComplex", "balance_html", "render_markdown", "render_post"]

MAX_SOURCE = 1_000_000  # characters: ~2 s of rendering; far above any real post
LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
# Jekyll's MKDWN_LINK_REF_REGEX (footnote definitions are of the same form)
LINK_DEFINITION = re.compile(r"^ {0,3}(\[[^\]\n]+\])(:.+)$", re.MULTILINE)

_local = threading.local()

# Control characters (but tab, newline and carriage return) and the noncharacters U+FFFE and
# U+FFFF: invalid in HTML and XML alike.
FORBIDDEN_IN_MARKUP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` without the characters no HTML page or XML feed may carry."""
    return FORBIDDEN_IN_MARKUP.sub("", text)


def new_renderer(options: MarkdownOptions) -> markdown.Markdown:
    """A Markdown instance with kramdown's behaviour (GFM input or kramdown's own)."""
    return markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            "footnotes",
            "def_list",  # kramdown's definition lists (`term` then `: definition`)
            "attr_list",
            "md_in_html",
            "pymdownx.superfences",
            "pymdownx.highlight",
            "pymdownx.arithmatex",
            KramdownExtension(options),
            # GFM's ~~strikethrough~~ and `- [x]` task lists (kramdown-parser-gfm);
            # kramdown's own input has neither
            *(["pymdownx.tilde", "pymdownx.tasklist"] if options.gfm else []),
        ],
        extension_configs={
            "pymdownx.superfences": {
                "custom_fences": [
                    {
                        "name": "*",
                        "class": "highlight",
                        "format": fence_format,
                        "validator": fence_validator,
                    }
                ]
            },
            "pymdownx.highlight": {
                "use_pygments": True,
                "guess_lang": False,
                "pygments_lang_class": True,
            },
            # kramdown numbers footnotes in the order they are referred to
            "footnotes": {"USE_DEFINITION_ORDER": False},
            "pymdownx.tilde": {"subscript": False},
            "pymdownx.arithmatex": {
                "generic": True,
                "inline_syntax": [],  # kramdown's inline `$$` is InlineMath (kramdown.py)
                "block_syntax": ["dollar"],
            },
        },
        output_format="html",
    )


def renderer(options: MarkdownOptions) -> markdown.Markdown:
    """This thread's Markdown instance (building one per post would cost more than the post)."""
    cache = getattr(_local, "renderers", None)
    if cache is None:
        cache = _local.renderers = {}
    md = cache.get(options)
    if md is None:
        md = cache[options] = new_renderer(options)
    return md


def render_markdown(text: str, *, gfm: bool = True, options: MarkdownOptions | None = None) -> str:
    """HTML for a Markdown text; MarkdownTooComplex when it is too big or too deep.
    `options` are the site's kramdown options (`gfm` alone when it has none)."""
    if len(text) > MAX_SOURCE:
        raise MarkdownTooComplex(f"longer than {MAX_SOURCE:,} characters")
    options = options or (DEFAULT_OPTIONS if gfm else KRAMDOWN_INPUT)
    md = renderer(options)
    md.reset()
    try:
        return md.convert(text)
    except BaseException as error:
        # A render cut short leaves state in the extensions that reset() does not clear:
        # this thread's next post gets a fresh renderer instead of a poisoned one.
        _local.renderers.pop(options, None)
        if isinstance(error, RecursionError):
            raise MarkdownTooComplex("nested too deeply to render") from None
        raise


def excerpt_source(body: str, separator: str | None) -> str:
    """The part of a post's source that is its excerpt, as Jekyll cuts it (Excerpt
    #extract_excerpt): the text before the separator, searched from the body's very start,
    then the definitions further on of the `[labels]` it names, written exactly so."""
    # Jekyll's front matter pattern takes the blank lines after the closing ---
    body = LEADING_BLANK_LINES.sub("", body)
    head, found, tail = body.partition("\n\n" if separator is None else separator)
    if not found:
        return head
    definitions = [label + rest for label, rest in LINK_DEFINITION.findall(tail) if label in head]
    if definitions:
        head = head + "\n\n" + "\n".join(definitions) + "\n"
    return head


def render_post(
    body: str,
    *,
    is_markdown: bool = True,
    excerpt: str | None = None,
    excerpt_separator: str | None = None,
    gfm: bool = True,
    options: MarkdownOptions | None = None,
    excerpt_markdown: str | None = None,
) -> tuple[str, str]:
    """(body_html, excerpt_html) for a post; an HTML body is kept as written.

    `gfm` is the site's `kramdown.input` being GFM (Jekyll's default)."""
    body_html = render_markdown(body, gfm=gfm, options=options) if is_markdown else body
    if excerpt is not None:
        # Jekyll: the front matter's `excerpt` is used as written (no Markdown, no Liquid)
        excerpt_html = excerpt
    else:
        source = (
            excerpt_markdown
            if excerpt_markdown is not None
            else excerpt_source(body, excerpt_separator)
        )
        excerpt_html = render_markdown(source, gfm=gfm, options=options) if is_markdown else source
    return body_html, balance_html(excerpt_html).strip()


VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# A whole HTML document cut short must not bring its head, styles or scripts into a listing.
DROPPED_WITH_CONTENT = frozenset({"head", "style", "script", "title", "template"})
DROPPED_TAGS = frozenset({"html", "body", "meta", "link", "base"})


class _Balancer(HTMLParser):
    """Re-emits an HTML fragment with every element closed and stray end tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden += 1
        elif not self.hidden and tag not in DROPPED_TAGS:
            self.out.append(self.get_starttag_text() or "")
            if tag not in VOID_ELEMENTS:
                self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.hidden and tag not in DROPPED_TAGS | DROPPED_WITH_CONTENT:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
        elif not self.hidden and tag in self.open:
            while self.open:
                name = self.open.pop()
                self.out.append(f"</{name}>")
                if name == tag:
                    break

    def emit(self, text: str) -> None:
        if not self.hidden:
            self.out.append(text)

    def handle_data(self, data: str) -> None:
        self.emit(data)

    def handle_entityref(self, name: str) -> None:
        self.emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.emit(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.emit(f"<!--{data}-->")


def balance_html(fragment: str) -> str:
    """An HTML fragment (an excerpt cut from a longer text) that closes what it opens."""
    parser = _Balancer()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out) + "".join(f"</{name}>" for name in reversed(parser.open))
