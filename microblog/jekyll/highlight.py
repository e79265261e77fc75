"""Code blocks highlighted by Pygments, for fenced code (SuperFences) and Liquid's
`{% highlight lang [linenos] %}` alike: `<div class="language-LANG highlight">`, the
language named as Jekyll's Rouge names it, line numbers in a table when asked.

Lexers and formatters are made once per language and kept: building an HtmlFormatter
computes its whole stylesheet, which cost more than highlighting a post's code.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound


@lru_cache(maxsize=256)
def lexer_for(language: str) -> Lexer:
    """Pygments' lexer for a fence's language name; plain text when it has none."""
    lexer: Lexer
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=True)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=True)
    return lexer


@lru_cache(maxsize=256)
def formatter_for(language: str, line_numbers: int) -> HtmlFormatter[str]:
    """An HtmlFormatter whose wrapper names the language; numbered lines from `line_numbers`."""
    css = f"language-{language} highlight" if language else "highlight"
    options: dict[str, Any] = {"cssclass": css, "wrapcode": True}
    if line_numbers:
        options.update(linenos="table", linenostart=line_numbers)
    formatter: HtmlFormatter[str] = HtmlFormatter(**options)
    return formatter


def highlight_code(code: str, language: str = "", line_numbers: int = 0) -> str:
    """The HTML of one code block (`line_numbers`: the first line's number, 0 for none)."""
    language = language.strip().lower()
    name = language if language else "text"
    if not code.strip():
        escaped = html.escape(code)
        return f'<div class="language-{name} highlight"><pre><code>{escaped}</code></pre></div>'
    rendered: str = highlight(code, lexer_for(name), formatter_for(name, line_numbers))
    return rendered.rstrip("\n")


def fence_format(
    src: str,
    language: str,
    class_name: str,
    options: dict[str, Any],
    md: Any,
    **kwargs: Any,
) -> str:
    """SuperFences' formatter for every fence: `linenums="N"` numbers the lines from N."""
    kramdown = getattr(md, "kramdown", None)
    default = "1" if kramdown is not None and kramdown.options.line_numbers else "0"
    start = str(options.get("linenums") or default).split()[0]
    return highlight_code(
        src, language or "", int(start) if start.isascii() and start.isdigit() else 0
    )
