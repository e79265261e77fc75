"""The front matter block of a Jekyll file: find it, load its YAML, keep it JSON-safe."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from .errors import NotAPost, PostError

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)

# libyaml's loader when PyYAML was built with it: ten times faster on big imports.
BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StringDatesLoader(BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that leaves dates as strings, so that every date is parsed one way here
    (PyYAML would turn `2015-10-20` into a date but keep `2015-10-20 11:12:00-0400` a string,
    and raises a bare ValueError on `1000-00-00`)."""


StringDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in BaseLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML, body) of LF text; NotAPost when there is no front matter."""
    match = FRONT_MATTER.match(text)
    if match is None:
        first = text.split("\n", 1)[0]
        if re.match(r"^-{3}\s*$", first):
            raise PostError("front matter is never closed (no second '---' line)")
        if "\n---" in "\n" + text and first.strip() == "":
            why = "it begins with a blank line, so its '---' is not front matter"
        elif re.search(r"^---[ \t]*$", text, re.MULTILINE):
            why = "there is text before its '---' line, so that is not front matter"
        else:
            why = "no front matter"
        raise NotAPost(f"{why} (Jekyll copies such a file as is, it is not a post)")
    return match.group(1) or "", text[match.end() :]


def load_yaml(front: str) -> dict[str, Any]:
    """The front matter as a mapping, by python-frontmatter's YAML handler."""
    try:
        data = YAMLHandler().load(front, Loader=StringDatesLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PostError(f"front matter is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PostError(f"front matter is a YAML {type(data).__name__}, not a mapping of keys")
    return data


def json_safe(value: Any) -> Any:
    """The front matter in a form JSON keeps: dates as ISO strings, sets as lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
