"""The few Liquid constructs a post body needs resolved before Markdown (Jekyll's order).

A stop-gap until a real Liquid engine takes over: `render_liquid` is the one entry point,
so swapping the engine is a change of import in `jekyll.py`.
"""

from __future__ import annotations

import re

from .errors import PostError
from .settings import SiteSettings

LIQUID = re.compile(
    r"\{%-?\s*(?P<name>\w*)(?P<args>.*?)-?%\}|\{\{-?(?P<expr>.*?)-?\}\}",
    re.DOTALL,
)
LINK_FILTER = re.compile(
    r"""^(['"])(?P<path>[^'"]*)\1\s*\|\s*(?P<filter>relative_url|absolute_url)$"""
)


def resolve_output(expr: str, settings: SiteSettings) -> str | None:
    """The value of a `{{ … }}` expression we know, or None."""
    expr = " ".join(expr.split())
    if expr == "site.url":
        return settings.site_url
    if expr in {"site.baseurl", "base_path", "site.base_path"}:
        return settings.base_path
    link = LINK_FILTER.match(expr)
    if link:
        path = link.group("path")
        if path and not path.startswith("/"):
            path = "/" + path
        base = settings.site_url if link.group("filter") == "absolute_url" else settings.base_path
        return base + path
    return None


def fence_for(code: str) -> str:
    """A backtick fence longer than any backtick run inside `code`."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def find_end(text: str, start: int, name: str) -> re.Match[str]:
    """The `{% endNAME %}` after `start`, or a PostError (Jekyll refuses unclosed blocks)."""
    match = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(text, start)
    if match is None:
        raise PostError(f"Liquid {{% {name} %}} is never closed with {{% end{name} %}}")
    return match


def highlight_block(lang: str, code: str, out: list[str]) -> str:
    """A `{% highlight %}` block as a fenced code block, on a line of its own."""
    fence = fence_for(code)
    last = next((chunk for chunk in reversed(out) if chunk), "\n")
    start = "" if last.endswith("\n") else "\n"
    return f"{start}{fence}{lang}\n{code}\n{fence}\n"


def render_liquid(text: str, settings: SiteSettings, dropped: list[str]) -> str:
    """Resolve the Liquid a post may hold, before Markdown (Jekyll's order).

    `site.url`, `site.baseurl` and `base_path` become the site's; `{% raw %}` keeps its
    text; `{% highlight lang %}` becomes a fenced code block; `{% comment %}` goes away;
    any other tag or output is dropped and named in `dropped` for a warning.
    """
    out: list[str] = []
    pos = 0
    for_strip = False
    while True:
        match = LIQUID.search(text, pos)
        if match is None:
            tail = text[pos:]
            out.append(tail.lstrip() if for_strip else tail)
            break
        before = text[pos : match.start()]
        if for_strip:
            before = before.lstrip()
        token = match.group(0)
        if token.startswith(("{%-", "{{-")):
            before = before.rstrip()
        out.append(before)
        for_strip = token.endswith(("-%}", "-}}"))
        pos = match.end()
        if match.group("expr") is not None:
            value = resolve_output(match.group("expr"), settings)
            if value is None:
                dropped.append("{{ " + " ".join(match.group("expr").split()) + " }}")
            else:
                out.append(value)
            continue
        name = match.group("name")
        if name in {"raw", "comment", "highlight"}:
            end = find_end(text, pos, name)
            inner = text[pos : end.start()]
            pos = end.end()
            for_strip = end.group(0).endswith("-%}")
            if name == "raw":
                out.append(inner)
            elif name == "highlight":
                words = match.group("args").split()
                code = render_liquid(inner, settings, dropped).strip("\n")
                out.append(highlight_block(words[0] if words else "", code, out))
            continue
        dropped.append("{% " + name + " %}")
    return "".join(out)
