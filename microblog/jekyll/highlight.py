"""Code highlighted by Pygments into the markup Jekyll 4.3 writes with Rouge, so that the
CSS of an old theme applies (Rouge's token classes are Pygments' short names: `k`, `nf`, `s1`…):

- kramdown's code blocks (fenced or indented):
  `<div class="language-LANG highlighter-rouge"><div class="highlight"><pre class="highlight">
  <code>…</code></pre></div></div>`, LANG `plaintext` when the fence names none; a language
  Rouge does not know stays plain `<pre><code class="language-LANG">`, as kramdown leaves it;
- their line numbers (kramdown's `line_numbers` option, a fence's `linenums="N"`): inside that
  `<code>`, `<table class="rouge-table">` with `td.rouge-gutter.gl > pre.lineno` and
  `td.rouge-code > pre`;
- Liquid's `{% highlight lang %}`: `<figure class="highlight"><pre><code class="language-lang"
  data-lang="lang">…</code></pre></figure>`, with `linenos` the same table whose cells are
  `td.gutter.gl` and `td.code` (Jekyll's own formatter);
- code spans (kramdown_tree.RougeCodeSpans): `<code class="language-plaintext
  highlighter-rouge">`, highlighted when an IAL names a language (`{: .language-ruby}`).

Lexers and the formatter are made once and kept: building them cost more than
highlighting a post's code.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache
from typing import Any

from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from pymdownx.superfences import highlight_validator

from microblog.jekyll.rouge_names import ROUGE_NAMES

PLAIN = "plaintext"  # kramdown's default_lang in Jekyll's configuration
PLAIN_NAMES = frozenset({"plaintext", "text"})  # Rouge's PlainText lexer
# A fence option HighlightNode (liquid_jekyll.py) gives `{% highlight %}` in Markdown.
FIGURE_OPTION = "jekyll_figure"
_FORMATTER: HtmlFormatter[str] = HtmlFormatter(nowrap=True)
ROUGE_WRAPPER = re.compile(r'<div class="(language-[^"\s]+) highlighter-rouge">')
# A plain text block's code after its wrapper (no line numbers: those are a table)
PLAIN_CODE = re.compile(
    r'<div class="highlight"><pre class="highlight"><code>([^<]*)</code></pre></div></div>'
)


@lru_cache(maxsize=256)
def lexer_for(language: str) -> Lexer | None:
    """Pygments' lexer for a language name, None for plain text or a name it lacks."""
    if language in PLAIN_NAMES:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


def rouge_knows(language: str) -> bool:
    """Whether Jekyll's Rouge finds a lexer by this name (and kramdown so wraps the code)."""
    return language in ROUGE_NAMES


def tokens(code: str, language: str) -> str:
    """The code as escaped text with Pygments' token spans, its own line ends kept."""
    lexer = lexer_for(language)
    if lexer is None or not code.strip():
        return html.escape(code, quote=False)
    rendered: str = highlight(code, lexer, _FORMATTER)
    return rendered if code.endswith("\n") else rendered.removesuffix("\n")


def line_table(body: str, first: int, gutter: str, cell: str) -> str:
    """Rouge's table of numbered lines around highlighted `body` (which ends a line)."""
    count = max(1, body.count("\n"))
    numbers = "".join(f"{n}\n" for n in range(first, first + count))
    return (
        f'<table class="rouge-table"><tbody><tr><td class="{gutter} gl">'
        f'<pre class="lineno">{numbers}</pre></td><td class="{cell}"><pre>{body}</pre></td>'
        "</tr></tbody></table>"
    )


def code_block(code: str, language: str = "", line_numbers: int = 0) -> str:
    """kramdown's HTML of one code block (`line_numbers`: the first line's number, 0 for
    none), as Jekyll writes it with Rouge."""
    language = language.strip() or PLAIN
    css = html.escape(language)
    if code and not code.endswith("\n"):
        code += "\n"  # a block's last line ends, as kramdown keeps it
    if not rouge_knows(language):
        return f'<pre><code class="language-{css}">{html.escape(code, quote=False)}</code></pre>'
    body = tokens(code, language)
    if line_numbers:
        body = line_table(
            body if body.endswith("\n") else body + "\n", line_numbers, "rouge-gutter", "rouge-code"
        )
    return (
        f'<div class="language-{css} highlighter-rouge"><div class="highlight">'
        f'<pre class="highlight"><code>{body}</code></pre></div></div>'
    )


def highlight_figure(code: str, language: str, line_numbers: bool = False) -> str:
    """Liquid's `{% highlight language [linenos] %}` as Jekyll writes it (the code without
    its blank lines around it)."""
    language = language.strip().lower() or "text"
    css = html.escape(language)
    body = tokens(code.strip("\n"), language)
    if line_numbers:
        body = line_table(body + "\n", 1, "gutter", "code")
    return (
        f'<figure class="highlight"><pre><code class="language-{css}" data-lang="{css}">'
        f"{body}</code></pre></figure>"
    )


def fence_validator(
    language: str, inputs: dict[str, str], options: dict[str, Any], attrs: dict[str, str], md: Any
) -> bool:
    """SuperFences' highlight_validator, and the `{% highlight %}` fence's own option."""
    if inputs.pop(FIGURE_OPTION, None) is not None:
        options[FIGURE_OPTION] = True
    return bool(highlight_validator(language, inputs, options, attrs, md))


def fence_format(
    src: str,
    language: str,
    class_name: str,
    options: dict[str, Any],
    md: Any,
    **kwargs: Any,
) -> str:
    """SuperFences' formatter for every fence and indented block: `linenums="N"` numbers the
    lines from N; a `{% highlight %}` tag's fence is its figure."""
    start = str(options.get("linenums") or "0").split()[0]
    first = int(start) if start.isascii() and start.isdigit() else 0
    if FIGURE_OPTION in options:
        return highlight_figure(src, language or "text", bool(first))
    kramdown = getattr(md, "kramdown", None)
    if not first and kramdown is not None and kramdown.options.line_numbers:
        first = 1
    return code_block(src, language or "", first)


class RougeCode(Treeprocessor):
    """Code as Jekyll's Rouge marks it beyond the blocks themselves: each code span
    `language-plaintext highlighter-rouge` (highlighted when an IAL names a language Rouge
    knows), and a block IAL after a fence given to the fence's wrapper, as kramdown gives it
    (the IAL's paragraph held only the stashed block: `<p class="x"><div…>` is no HTML)."""

    def run(self, root: etree.Element) -> None:
        stash = self.md.htmlStash
        for parent in root.iter():
            for child in parent:
                if child.tag == "code" and parent.tag != "pre":
                    self.code_span(child)
                elif child.tag == "p" and child.attrib and not len(child):
                    self.fence_attributes(child, stash.rawHtmlBlocks)

    def code_span(self, code: etree.Element) -> None:
        """A code span's classes as kramdown gives them, its tokens when it names a language."""
        classes = (code.get("class") or "").split()
        language = next((c for c in classes if c.startswith("language-")), None)
        if language is None:
            code.set("class", " ".join([f"language-{PLAIN}", *classes, "highlighter-rouge"]))
            return
        name = language.removeprefix("language-")
        if not rouge_knows(name):
            return
        others = [c for c in classes if c != language]
        code.set("class", " ".join([language, *others, "highlighter-rouge"]))
        if name not in PLAIN_NAMES and code.text and not len(code):
            marked = tokens(html.unescape(code.text), name)
            code.text = self.md.htmlStash.store(marked)

    @staticmethod
    def fence_attributes(paragraph: etree.Element, stashed: list[str | etree.Element]) -> None:
        """A block IAL's attributes on the paragraph that holds only a stashed code block
        moved onto the block's wrapper, kramdown's order (`language-x cls highlighter-rouge`)."""
        found = HTML_PLACEHOLDER_RE.fullmatch((paragraph.text or "").strip())
        if found is None or int(found.group(1)) >= len(stashed):
            return
        index = int(found.group(1))
        block = stashed[index]
        if not isinstance(block, str):
            return
        wrapper = ROUGE_WRAPPER.match(block)
        if wrapper is None:
            return
        given = paragraph.get("class", "").split()
        language = next((c for c in given if c.startswith("language-")), None)
        if language is not None:
            # kramdown takes a `.language-x` of the IAL as the block's language when it has
            # none (Rouge then highlights it), and drops that class either way
            given.remove(language)
            name = language.removeprefix("language-")
            code = PLAIN_CODE.fullmatch(block[wrapper.end() :])
            if wrapper.group(1) == f"language-{PLAIN}" and code and rouge_knows(name):
                block = code_block(html.unescape(code.group(1)), name)
                wrapper = ROUGE_WRAPPER.match(block)
                if wrapper is None:
                    return
        classes = " ".join([wrapper.group(1), *given])
        ident = paragraph.get("id")
        extra = f' id="{html.escape(ident)}"' if ident else ""
        stashed[index] = (
            f'<div class="{classes} highlighter-rouge"{extra}>' + block[wrapper.end() :]
        )
        paragraph.attrib.clear()


class IndentedCode(Treeprocessor):
    """kramdown's indented code blocks as code_block writes them (before pymdownx.highlight
    takes them, which wraps them its own way)."""

    def run(self, root: etree.Element) -> None:
        kramdown = getattr(self.md, "kramdown", None)
        first = 1 if kramdown is not None and kramdown.options.line_numbers else 0
        for pre in root.iter("pre"):
            if len(pre) == 1 and pre[0].tag == "code" and not pre.text:
                # kramdown's code block ends at its last line that is not blank
                code = html.unescape(pre[0].text or "").rstrip("\n") + "\n"
                pre.clear()
                pre.tag = "p"
                pre.text = self.md.htmlStash.store(code_block(code, "", first))
