"""Jekyll's Liquid filters for python-liquid (liquid.py registers them): the ones Jekyll
adds to Liquid's own, with Jekyll's semantics (`where` compares as text, `relative_url`
prefixes `baseurl`…).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from io import StringIO
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from liquid.filter import with_context
from liquid.undefined import is_undefined

from microblog.jekyll.liquid_jekyll import state_of

if TYPE_CHECKING:
    from liquid.context import RenderContext


def _site(context: RenderContext) -> Any:
    return state_of(context).context.site


@with_context
def relative_url(value: Any, *, context: RenderContext) -> str:
    text = "" if is_undefined(value) or value is None else str(value)
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.IGNORECASE):
        return text
    path = _site(context).baseurl + "/" + text.lstrip("/")
    return path if text or not path.endswith("/") or path == "/" else path.rstrip("/") or "/"


@with_context
def absolute_url(value: Any, *, context: RenderContext) -> str:
    relative = relative_url(value, context=context)
    if re.match(r"^[a-z][a-z0-9+.-]*:", relative, re.IGNORECASE):
        return str(relative)
    return str(_site(context).url + relative)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _as_datetime(datetime.fromisoformat(value.strip().replace(" ", "T", 1)))
        except ValueError:
            return None
    return None


def date_to_xmlschema(value: Any) -> Any:
    moment = _as_datetime(value)
    return moment.isoformat() if moment else value


def date_to_rfc822(value: Any) -> Any:
    moment = _as_datetime(value)
    return format_datetime(moment) if moment else value


def date_to_string(value: Any, style: str = "", order: str = "") -> Any:
    return _date_words(value, "%b", style, order)


def date_to_long_string(value: Any, style: str = "", order: str = "") -> Any:
    return _date_words(value, "%B", style, order)


def _date_words(value: Any, month: str, style: str, order: str) -> Any:
    moment = _as_datetime(value)
    if moment is None:
        return value
    day = str(moment.day)
    if style == "ordinal":
        suffix = (
            "th"
            if 10 < moment.day % 100 < 14
            else {1: "st", 2: "nd", 3: "rd"}.get(moment.day % 10, "th")
        )
        day += suffix
        if order == "US":
            return f"{moment.strftime(month)} {day}, {moment.year}"
        return f"{day} {moment.strftime(month)} {moment.year}"
    return moment.strftime(f"%d {month} %Y")


def xml_escape(value: Any) -> str:
    if value is None or is_undefined(value):
        return ""
    return html.escape(str(value), quote=True).replace("&#x27;", "&#39;")


def slugify(value: Any, mode: str = "default") -> str:
    """Jekyll's `Utils.slugify`: lower case, runs of other characters → one hyphen."""
    text = "" if value is None or is_undefined(value) else str(value)
    if mode == "none":
        return text
    patterns = {
        "raw": r"\s+",
        "pretty": r"[^\w._~!$&'()+,;=@]+",
        "ascii": r"[^a-zA-Z0-9]+",
        "latin": r"[^a-zA-Z0-9]+",
    }
    slug = re.sub(patterns.get(mode, r"[^\w]+|_+"), "-", text)
    return re.sub(r"^-+|-+$", "", slug).lower()


def number_of_words(value: Any) -> int:
    return len(str(value or "").split())


def array_to_sentence_string(values: Any, connector: str = "and") -> str:
    items = [str(item) for item in (values or [])]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {connector} {items[1]}"
    return ", ".join(items[:-1]) + f", {connector} {items[-1]}"


@with_context
def markdownify(value: Any, *, context: RenderContext) -> str:
    from microblog.jekyll.markdown import render_markdown

    text = "" if value is None or is_undefined(value) else str(value)
    kramdown = _site(context).variables.get("kramdown") or {}
    gfm = str(kramdown.get("input", "GFM")).lower() == "gfm" if isinstance(kramdown, dict) else True
    return render_markdown(text, gfm=gfm)


def smartify(value: Any) -> str:
    from microblog.jekyll.markdown import render_markdown

    rendered = render_markdown(str(value or ""))
    return re.sub(r"^<p>|</p>$", "", rendered)


def _property(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def where(values: Any, key: str, target: Any = None) -> list[Any]:
    """Jekyll's `where`: the value compared as text, a list property by membership."""
    if not isinstance(values, list | tuple):
        values = list(values.values()) if isinstance(values, dict) else []
    wanted = "" if target is None or is_undefined(target) else _text(target)
    found = []
    for item in values:
        value = _property(item, key)
        candidates = value if isinstance(value, list | tuple) else [value]
        if wanted in (_text(candidate) for candidate in candidates):
            found.append(item)
    return found


def _text(value: Any) -> str:
    if value is True or value is False:
        return str(value).lower()
    return "" if value is None else str(value)


@with_context
def where_exp(values: Any, variable: str, expression: str, *, context: RenderContext) -> list[Any]:
    """Jekyll's `where_exp: "item", "item.year == 2014"`."""
    template = context.env.from_string(f"{{% if {expression} %}}1{{% endif %}}")
    found = []
    for item in values or []:
        buffer = StringIO()
        with context.extend({variable: item}):
            template.render_with_context(context, buffer, partial=True)
        if buffer.getvalue() == "1":
            found.append(item)
    return found


def group_by(values: Any, key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for item in values or []:
        groups.setdefault(_text(_property(item, key)), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def jsonify(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


JEKYLL_FILTERS: dict[str, Callable[..., Any]] = {
    "relative_url": relative_url,
    "absolute_url": absolute_url,
    "date_to_xmlschema": date_to_xmlschema,
    "date_to_rfc822": date_to_rfc822,
    "date_to_string": date_to_string,
    "date_to_long_string": date_to_long_string,
    "xml_escape": xml_escape,
    "cgi_escape": lambda value: quote_plus(str(value or "")),
    "uri_escape": lambda value: quote(str(value or ""), safe="!#$&'()*+,/:;=?@[]~"),
    "number_of_words": number_of_words,
    "array_to_sentence_string": array_to_sentence_string,
    "markdownify": markdownify,
    "smartify": smartify,
    "slugify": slugify,
    "where": where,
    "where_exp": where_exp,
    "group_by": group_by,
    "jsonify": jsonify,
    "normalize_whitespace": lambda value: " ".join(str(value or "").split()),
    "to_integer": lambda value: int(float(value)) if str(value).strip() else 0,
    "inspect": lambda value: repr(value),
    "sample": lambda values: (list(values) or [None])[0],
    "push": lambda values, item: [*(values or []), item],
    "pop": lambda values, count=1: list(values or [])[: -int(count) or None],
    "shift": lambda values, count=1: list(values or [])[int(count) :],
    "unshift": lambda values, item: [item, *(values or [])],
}
