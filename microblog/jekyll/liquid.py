"""A post's Liquid, run as Jekyll runs it before Markdown: python-liquid with Jekyll's tags
and filters (liquid_jekyll.py) over the site's variables.

`render_liquid(text, context) -> LiquidResult(text, warnings)` is the one entry point.
`site.*` comes from the site's `_config.yml` and `_data` (SiteContext), `page.*` from the
post's front matter and what the app made of it (LiquidContext). Like Jekyll (whose
`liquid.error_mode` is `warn`), an undefined variable or filter renders as nothing; a
syntax error fails the post with its line; an include that is missing, or a tag from a
plugin the app does not have, is a warning naming it and its line, and a plugin's block
tag keeps its content.

Liquid from a stranger's site runs with budgets (`LiquidBudget`), enforced by python-liquid
itself where it has them (loop iterations, output size, the size of what `assign` and
`capture` hold, include depth) and by a clock checked at every node rendered: a 200-byte
post that doubled a `capture` 30 times once took 15.8 GB, and `for i in (1..100000000)`
ran past a minute. Past a budget, the file fails with the reason; the import goes on.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import NoneType
from typing import Any

from liquid import BoundTemplate, CachingFileSystemLoader, DictLoader, Environment, RenderContext
from liquid.exceptions import LiquidError, TemplateNotFoundError

from microblog.jekyll.errors import PostError
from microblog.jekyll.liquid_filters import JEKYLL_FILTERS
from microblog.jekyll.liquid_jekyll import JEKYLL_TAGS, STATE_KEY, RenderState
from microblog.jekyll.site_files import link_on_the_way

# Liquid's own tags that close or continue a block, and so never stand alone.
INNER_TAGS = frozenset({"else", "elsif", "when", "break", "continue", "empty"})
TAG = re.compile(r"\{%-?\s*(#|[A-Za-z_][\w-]*)(.*?)-?%\}", re.DOTALL)
LIQUID_MARKUP = ("{{", "{%")
RAW_BLOCK = re.compile(r"(\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\})", re.DOTALL)
MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
FILTER_THEN_COMMA = re.compile(r"(\|\s*[A-Za-z_][\w-]*)\s*,")
# `{% for post in site.posts reverse %}`: Ruby's lax `for` reads the loop and ignores a bare
# word that is not `reversed` (blog.cocoapods.org's archive page).
FOR_TAG = re.compile(r"(\{%-?\s*for\s+[\w-]+\s+in\s+[^\s%]+)([^%]*?)(\s*-?%\})")
LOOP_WORD = re.compile(r"\s*(?:[\w-]+\s*:\s*[^\s,]+|\S+)")
BARE_WORD = re.compile(r"\s*[A-Za-z_]\w*")
SIMPLE_OUTPUT = re.compile(r"\{\{\s*((?:site|page)(?:\.[A-Za-z_][\w-]*)+)\s*\}\}")


class JekyllTime(datetime):
    """A time as Jekyll's Liquid prints it (Ruby's Time#to_s): `2008-11-21 00:00:00 +0000`."""

    def __str__(self) -> str:
        return self.strftime("%Y-%m-%d %H:%M:%S %z")

    @classmethod
    def of(cls, moment: datetime) -> JekyllTime:
        return cls.combine(moment.date(), moment.timetz())


@dataclass(frozen=True)
class SiteContext:
    """What a whole site gives every post's Liquid.

    `variables` are `site.*` (the `_config.yml` values, `data` for `_data`, `url` and
    `baseurl`); `post_url` and `link` resolve `{% post_url name %}` and `{% link path %}`
    to a URL path (without `baseurl`), or None when there is no such file.
    """

    variables: Mapping[str, Any] = field(default_factory=dict)
    includes_dir: Path | None = None
    site_root: Path | None = None
    post_url: Callable[[str], str | None] | None = None
    link: Callable[[str], str | None] | None = None
    # `site.*` values made only when a text asks for them (`posts`, `categories`, `tags`:
    # every post's front matter read once)
    lazy: Mapping[str, Callable[[], Any]] = field(default_factory=dict)

    @property
    def baseurl(self) -> str:
        return str(self.variables.get("baseurl") or "").rstrip("/")

    @property
    def url(self) -> str:
        return str(self.variables.get("url") or "").rstrip("/")


class SiteVariables(Mapping[str, Any]):
    """`site.*`: the site's values, and the lazy ones made on first use."""

    def __init__(self, values: Mapping[str, Any], lazy: Mapping[str, Callable[[], Any]]):
        self.given = values
        self.lazy = lazy

    def __getitem__(self, key: str) -> Any:
        if key in self.lazy:
            return self.lazy[key]()
        return self.given[key]

    def __iter__(self) -> Iterator[str]:
        yield from self.given
        yield from (key for key in self.lazy if key not in self.given)

    def __len__(self) -> int:
        return len({*self.given, *self.lazy})


@dataclass(frozen=True)
class LiquidContext:
    """One file's Liquid: its site, its `page.*`, where it lies and what it is."""

    site: SiteContext
    page: Mapping[str, Any] = field(default_factory=dict)
    source_dir: Path | None = None  # include_relative's folder
    is_markdown: bool = True  # {% highlight %} gives a code fence, else HTML
    first_line: int = 1  # the file line the text starts on, for messages


@dataclass
class LiquidResult:
    """The text with its Liquid run, and a warning for each thing left out."""

    text: str
    warnings: list[str]


def ruby_lax(text: str) -> str:
    """The Liquid markup Ruby's Liquid takes in its lax mode (Jekyll's `error_mode: warn`
    falls back to it) written the way python-liquid parses it: a filter's arguments after
    a comma, `{{ x | replace, "a", "b" }}` (bitcoincore.org's download page), get their colon;
    a bare word after a `for` loop's collection other than `reversed` goes.
    `{% raw %}` blocks stay as written."""
    if "|" not in text and "for" not in text:
        return text

    def fix(markup: re.Match[str]) -> str:
        return FILTER_THEN_COMMA.sub(r"\1:", markup.group(0))

    def loop(tag: re.Match[str]) -> str:
        words = LOOP_WORD.findall(tag.group(2))
        kept = [w for w in words if not BARE_WORD.fullmatch(w) or w.strip() == "reversed"]
        return tag.group(1) + "".join(kept) + tag.group(3)

    parts = RAW_BLOCK.split(text)
    return "".join(
        part if i % 2 else FOR_TAG.sub(loop, MARKUP.sub(fix, part)) for i, part in enumerate(parts)
    )


class IncludesLoader(CachingFileSystemLoader):
    """The site's `_includes`, never through a symbolic link (python-liquid's own
    `reject_symlinks` looks at each step but does not refuse), read as Ruby's lax Liquid
    reads them (`ruby_lax`)."""

    def _read(self, source_path: Path) -> tuple[str, float]:
        source, mtime = super()._read(source_path)
        return ruby_lax(source), mtime

    def resolve_path(self, template_name: str) -> Path:
        path = Path(super().resolve_path(template_name))
        for base in self.search_path:
            if path.is_relative_to(base) and link_on_the_way(Path(base), path) is None:
                return path
        raise TemplateNotFoundError(template_name)


class LiquidTooCostly(LiquidError):
    """A file's Liquid ran past its time budget."""


# When (time.monotonic()) the Liquid being rendered in this thread must be done by.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "liquid_deadline", default=None
)
SECONDS = 3.0  # per file: a post's Liquid takes milliseconds


class _Clock(list[str]):
    """Stands in for a render context's list of disabled tags: python-liquid asks
    `if context.disabled_tags:` before rendering every node, so the clock is read there."""

    def __bool__(self) -> bool:
        deadline = _deadline.get()
        if deadline is not None and time.monotonic() > deadline:
            raise LiquidTooCostly(f"the Liquid took over {SECONDS:g} s", token=None)
        return len(self) > 0


class BudgetedContext(RenderContext):
    """A render context whose every node render reads the clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled_tags = _Clock(self.disabled_tags)


class BudgetedTemplate(BoundTemplate):
    context_class = BudgetedContext


class LiquidBudget(Environment):
    """python-liquid's own limits, set for a stranger's site."""

    template_class = BudgetedTemplate
    loop_iteration_limit = 1_000_000  # the product of nested loops' lengths
    output_stream_limit = 8 * 1024 * 1024  # characters a file's Liquid may write
    local_namespace_limit = 8 * 1024 * 1024  # bytes `assign` and `capture` may hold
    context_depth_limit = 30  # includes within includes


@lru_cache(maxsize=16)
def environment(includes_dir: Path | None) -> Environment:
    """A Liquid environment with Jekyll's tags and filters, `_includes` as its loader."""
    loader = IncludesLoader(includes_dir) if includes_dir else DictLoader({})
    env = LiquidBudget(loader=loader, strict_filters=False)
    env.keyword_assignment = True
    for tag in JEKYLL_TAGS:
        env.add_tag(tag)  # type: ignore[type-abstract]  # a list of concrete Tag classes
    for name, function in JEKYLL_FILTERS.items():
        env.add_filter(name, function)
    return env


def known_tags(env: Environment) -> frozenset[str]:
    """Every tag name Liquid will accept: the registered tags, their ends, inner tags."""
    names = set(env.tags) | INNER_TAGS
    names |= {"end" + name for name, tag in env.tags.items() if tag.block}
    return frozenset(names)


def leave_out_unknown_tags(
    text: str, known: frozenset[str], first_line: int
) -> tuple[str, list[str]]:
    """The text without the tags Liquid does not know (a plugin's), and a warning for each.

    A block tag's content stays: `{% aside %}text{% endaside %}` → `text`.
    """
    if "{%" not in text:
        return text, []
    out: list[str] = []
    warnings: list[str] = []
    unknown: set[str] = set()
    pos = 0
    for match in TAG.finditer(text):
        if match.start() < pos:
            continue
        name = match.group(1)
        if name in {"raw", "comment"}:
            end = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(text, match.end())
            if end is None:
                raise PostError(f"Liquid {{% {name} %}} is never closed with {{% end{name} %}}")
            out.append(text[pos : end.end()])
            pos = end.end()
            continue
        if name in known and not (name.startswith("end") and name[3:] in unknown):
            continue
        out.append(text[pos : match.start()])
        pos = match.end()
        if name.startswith("end") and name[3:] in unknown:
            continue
        unknown.add(name)
        line = first_line + text.count("\n", 0, match.start())
        warnings.append(
            f"line {line}: Liquid tag {{% {name} %}} is from a plugin the app does not have:"
            " left out (a block's content is kept)"
        )
    out.append(text[pos:])
    return "".join(out), warnings


def render_liquid(text: str, context: LiquidContext) -> LiquidResult:
    """Run the Liquid in `text` as Jekyll would; PostError on a Liquid syntax error."""
    if not any(marker in text for marker in LIQUID_MARKUP):
        return LiquidResult(text, [])
    site = context.site
    env = environment(site.includes_dir)
    text, warnings = leave_out_unknown_tags(text, known_tags(env), context.first_line)
    text = ruby_lax(text)
    state = RenderState(context=context, warnings=warnings)
    variables = {
        "site": SiteVariables(
            {**site.variables, "url": site.url, "baseurl": site.baseurl}, site.lazy
        ),
        "page": dict(context.page),
        "base_path": site.baseurl,  # academicpages' theme assigns this in every layout
        STATE_KEY: state,
    }
    simple = plain_outputs(text, variables) if "{%" not in text else None
    if simple is not None:
        return LiquidResult(simple, warnings)
    token = _deadline.set(time.monotonic() + SECONDS)
    try:
        rendered = env.from_string(text, globals=variables).render()
    except LiquidError as exc:
        raise PostError(f"Liquid: {describe(exc, context.first_line)}") from None
    except RecursionError:
        raise PostError("Liquid: includes nested too deeply (does one include itself?)") from None
    except MemoryError:
        raise PostError("Liquid: its output is too large") from None
    finally:
        _deadline.reset(token)
    return LiquidResult(rendered, warnings)


def plain_outputs(text: str, variables: Mapping[str, Any]) -> str | None:
    """`text` with its `{{ site.x }}` / `{{ page.x }}` outputs filled in, when that is all
    the Liquid it holds and every value is a plain string or number; else None (parsing
    a template costs more than a post's Markdown, and most posts need no more than this)."""

    def value(match: re.Match[str]) -> str:
        found: Any = variables
        for key in match.group(1).split("."):
            found = found.get(key) if isinstance(found, Mapping) else None
        if isinstance(found, bool) or not isinstance(found, str | int | float | NoneType):
            raise LookupError
        return "" if found is None else str(found)

    if SIMPLE_OUTPUT.sub("", text).find("{{") != -1:
        return None
    try:
        return SIMPLE_OUTPUT.sub(value, text)
    except LookupError:
        return None


def describe(error: LiquidError, first_line: int) -> str:
    """A Liquid error as one line, its line number counted in the file."""
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    unclosed = re.match(r"expected tag (end(\w+)), found end of expression", str(message))
    if unclosed:
        message = f"{{% {unclosed.group(2)} %}} is never closed with {{% {unclosed.group(1)} %}}"
    token = getattr(error, "token", None)
    if token is not None and hasattr(token, "source") and hasattr(token, "start_index"):
        line = first_line + token.source.count("\n", 0, token.start_index)
        return f"{message} (line {line})"
    return str(message)
