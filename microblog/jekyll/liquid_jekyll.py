"""Jekyll's Liquid tags for python-liquid (liquid.py registers them; the filters are in
liquid_filters.py): `include` (Jekyll's `key="value" key=variable` parameters, seen as
`include.key`), `include_cached` (jekyll-include-cache's: the same), `include_relative`,
`post_url`, `link`, `highlight` (with `linenos`), and Liquid's own `capture` read as Ruby's
Liquid reads it. Each tag is a small registered class, as python-liquid's docs show for
custom tags.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from liquid import BlockNode, Node
from liquid.builtin.expressions import Identifier, parse_primitive, tokenize
from liquid.builtin.tags.capture_tag import ENDCAPTUREBLOCK, TAG_ENDCAPTURE, CaptureNode, CaptureTag
from liquid.exceptions import LiquidSyntaxError, TemplateNotFoundError
from liquid.parser import get_parser
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.token import TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, Token

from microblog.jekyll.highlight import FIGURE_OPTION, highlight_figure
from microblog.jekyll.site_files import read_bytes_no_link

if TYPE_CHECKING:
    from liquid.context import RenderContext

    from microblog.jekyll.liquid import LiquidContext

STATE_KEY = "__microblog_liquid__"
PARAMETER = re.compile(
    r"""([\w-]+)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)'|([\w.\[\]'"-]+))"""
)
# Ruby Liquid's Capture::Syntax, unanchored: the first run of a variable name's characters.
RUBY_CAPTURE_NAME = re.compile(r"(?:\(?[\w.\[\]-]\)?)+")
FILE_AND_PARAMETERS = re.compile(r"\s*(\{\{.+?\}\}\S*|[^\s{}]+)(.*)", re.DOTALL)


@dataclass
class RenderState:
    """What Jekyll's tags need while a text renders: the file's context, the warnings."""

    context: LiquidContext
    warnings: list[str]


def state_of(context: RenderContext) -> RenderState:
    return context.globals[STATE_KEY]  # type: ignore[return-value]


def line_of(token: Token, state: RenderState) -> int:
    return state.context.first_line + token.source.count("\n", 0, token.start_index)


def expression_text(stream: TokenStream) -> tuple[Token, str]:
    """A tag token and its expression as written ("" when it has none), the stream left
    on the tag's last token (the parser steps past it)."""
    token = stream.current
    if stream.peek.kind == TOKEN_EXPRESSION:
        next(stream)
        return token, stream.current.value
    return token, ""


def render_name(source: str, context: RenderContext) -> str:
    """A file name that may hold `{{ … }}` (`{% include {{ page.kind }}.html %}`)."""
    if "{{" not in source:
        return source.strip()
    buffer = StringIO()
    context.env.from_string(source).render_with_context(context, buffer, partial=True)
    return buffer.getvalue().strip()


class JekyllIncludeNode(Node):
    """`{% include file.html key="value" other=page.title %}`."""

    relative = False

    def __init__(self, token: Token, source: str, env: Any) -> None:
        super().__init__(token)
        self.blank = False
        match = FILE_AND_PARAMETERS.match(source)
        self.file = match.group(1) if match else ""
        self.parameters: list[tuple[str, Any]] = []
        for found in PARAMETER.finditer(match.group(2) if match else ""):
            key, double, single, variable = found.groups()
            if variable is not None:
                stream = TokenStream(tokenize(variable, parent_token=token))
                self.parameters.append((key, parse_primitive(env, stream)))
            else:
                literal = double if double is not None else single
                self.parameters.append((key, re.sub(r"\\(.)", r"\1", literal)))

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        state = state_of(context)
        name = render_name(self.file, context)
        if not name or ".." in Path(name).parts or name.startswith("/"):
            state.warnings.append(
                f"line {line_of(self.token, state)}: {self.tag_name} {name!r} left out:"
                " a file name inside the site is needed"
            )
            return False
        template = self.load(name, context, state)
        if template is None:
            return False
        values = {
            key: value if isinstance(value, str) else value.evaluate(context)
            for key, value in self.parameters
        }
        with context.extend({"include": values}, template=template):
            template.render_with_context(context, buffer, partial=True)
        return True

    @property
    def tag_name(self) -> str:
        return "include_relative" if self.relative else "include"

    def load(self, name: str, context: RenderContext, state: RenderState) -> Any:
        try:
            if not self.relative:
                return context.env.get_template(name, context=context, tag="include")
            site = state.context.site
            folder = state.context.source_dir
            root = site.site_root or folder
            if folder is None or root is None:
                raise TemplateNotFoundError(name, token=None)
            path = Path(os.path.normpath(folder / name))
            if not path.is_relative_to(root) or not path.is_file():
                raise TemplateNotFoundError(name, token=None)
            text = read_bytes_no_link(root, path).decode("utf-8")  # no link followed
            return context.env.from_string(text, name=name)
        except (TemplateNotFoundError, OSError, UnicodeDecodeError):
            if self.relative:
                why = "no such file beside the post"
            elif state.context.site.includes_dir is None:
                why = "no _includes folder (import the whole site to have it)"
            else:
                why = "no such file in the site's _includes"
            state.warnings.append(
                f"line {line_of(self.token, state)}: {{% {self.tag_name} {name} %}} left out: {why}"
            )
            return None


class JekyllIncludeRelativeNode(JekyllIncludeNode):
    relative = True


class JekyllIncludeTag(Tag):
    name = "include"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, source = expression_text(stream)
        return JekyllIncludeNode(token, source, self.env)


class JekyllIncludeCachedTag(JekyllIncludeTag):
    """jekyll-include-cache's `{% include_cached %}`: the same include; its cache only
    spares Jekyll re-rendering it, which rendering once at import needs no more than."""

    name = "include_cached"


class JekyllIncludeRelativeTag(Tag):
    name = "include_relative"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, source = expression_text(stream)
        return JekyllIncludeRelativeNode(token, source, self.env)


class UrlNode(Node):
    """`{% post_url 2024-03-01-name %}` or `{% link _posts/2024-03-01-name.md %}`."""

    def __init__(self, token: Token, source: str, kind: str) -> None:
        super().__init__(token)
        self.blank = False
        self.source = source
        self.kind = kind

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        state = state_of(context)
        site = state.context.site
        name = render_name(self.source, context)
        resolve = site.post_url if self.kind == "post_url" else site.link
        path = resolve(name) if resolve else None
        if path is None:
            state.warnings.append(
                f"line {line_of(self.token, state)}: {{% {self.kind} {name} %}} left empty:"
                " the site has no such " + ("post" if self.kind == "post_url" else "file")
            )
            return False
        buffer.write(site.baseurl + path)
        return True


class PostUrlTag(Tag):
    name = "post_url"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, source = expression_text(stream)
        return UrlNode(token, source, "post_url")


class LinkTag(Tag):
    name = "link"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, source = expression_text(stream)
        return UrlNode(token, source, "link")


class HighlightNode(Node):
    """`{% highlight ruby linenos %}…{% endhighlight %}`: a code fence in Markdown (which
    highlights it with everything else), highlighted HTML in an HTML file."""

    def __init__(self, token: Token, options: str, block: BlockNode) -> None:
        super().__init__(token)
        self.blank = False
        words = options.split()
        self.language = words[0] if words else "text"
        self.line_numbers = any(word.startswith("linenos") for word in words[1:])
        self.block = block

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        inner = StringIO()
        self.block.render(context, inner)
        code = inner.getvalue().strip("\n")
        if not state_of(context).context.is_markdown:
            buffer.write(highlight_figure(code, self.language, self.line_numbers))
            return True
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        numbers = ' linenums="1"' if self.line_numbers else ""
        # a fence the highlighter writes as Jekyll's <figure class="highlight">
        figure = f' {FIGURE_OPTION}="1"'
        buffer.write(f"\n{fence}{self.language}{figure}{numbers}\n{code}\n{fence}\n")
        return True


class HighlightTag(Tag):
    name = "highlight"
    end = "endhighlight"

    def parse(self, stream: TokenStream) -> Node:
        token, options = expression_text(stream)
        next(stream)
        block = get_parser(self.env).parse_block(stream, frozenset({self.end, TOKEN_EOF}))
        stream.expect(TOKEN_TAG, value=self.end)
        return HighlightNode(token, options, block)


class RubyCaptureTag(CaptureTag):
    """`capture` naming its variable as Ruby's Liquid does, from the first run of name
    characters in what is written: bitcoincore.org's includes open with
    `{% capture /dev/null %}` (a variable `dev`), which python-liquid refuses."""

    def parse(self, stream: TokenStream) -> CaptureNode:
        token, source = expression_text(stream)
        found = RUBY_CAPTURE_NAME.search(source)
        if found is None:
            raise LiquidSyntaxError("capture needs a variable name", token=token)
        next(stream)
        block = get_parser(self.env).parse_block(stream, ENDCAPTUREBLOCK)
        stream.expect(TOKEN_TAG, value=TAG_ENDCAPTURE)
        return CaptureNode(token, Identifier(found.group(0), token=token), block)


JEKYLL_TAGS = [
    RubyCaptureTag,
    JekyllIncludeTag,
    JekyllIncludeCachedTag,
    JekyllIncludeRelativeTag,
    PostUrlTag,
    LinkTag,
    HighlightTag,
]
