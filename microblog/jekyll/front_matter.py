"""The front matter block of a Jekyll file: find it, load its YAML, keep it JSON-safe."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from microblog.jekyll.dates import YamlTimestamp
from microblog.jekyll.errors import NotAPost, PostError

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)??(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)

# libyaml's loader when PyYAML was built with it: ten times faster on big imports.
BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StringDatesLoader(BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that leaves dates as strings, so that every date is parsed one way here
    (PyYAML would turn `2015-10-20` into a date but keep `2015-10-20 11:12:00-0400` a string,
    and raises a bare ValueError on `1000-00-00`)."""


# What YAML itself reads as a timestamp (unquoted `2019-01-03 10:00:00`) stays a string, but
# marked: Jekyll (Ruby's YAML) reads such a time without an offset as UTC, while the same
# text quoted, or without seconds, is read by Time.parse in the site's zone.
YAML_TIMESTAMP = "tag:microblog,2026:yaml-timestamp"
StringDatesLoader.yaml_implicit_resolvers = {
    key: [
        (YAML_TIMESTAMP if tag == "tag:yaml.org,2002:timestamp" else tag, regexp)
        for tag, regexp in resolvers
    ]
    for key, resolvers in BaseLoader.yaml_implicit_resolvers.items()
}
StringDatesLoader.add_constructor(
    YAML_TIMESTAMP, lambda loader, node: YamlTimestamp(loader.construct_scalar(node))
)


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


# Aliases (`*name`) may repeat what an anchor (`&name`) holds; nested, ten lines expand to
# billions of values ("billion laughs"). No post needs more than this many values in all.
MAX_EXPANDED_VALUES = 10_000
# Written as the author wrote them: YAML 1.1 would read `tags: [yes, no, on]` as booleans.
AS_WRITTEN = frozenset({"tags", "tag", "categories", "category"})


def expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values `node` stands for once every alias is expanded (each shared node
    counted once per use, computed once)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a node that contains itself counts once
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(
            expanded_size(key, memo) + expanded_size(value, memo) for key, value in node.value
        )
    else:
        size = 1
    memo[id(node)] = size
    return size


def as_written(node: yaml.Node) -> Any:
    """Scalars as the text the author wrote (strings); lists of them as lists."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == "tag:yaml.org,2002:null" else str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [as_written(child) for child in node.value]
    return None


def check_structure(front: str, warnings: list[str]) -> dict[str, Any]:
    """Read the YAML's structure before building it: refuse an alias bomb, warn about a key
    given twice (the last one wins, as in Jekyll), and keep tags and categories as text.
    Returns the values to use instead of the constructed ones."""
    root = yaml.compose(front, Loader=StringDatesLoader)
    if root is None:
        return {}
    try:
        size = expanded_size(root, {})
    except RecursionError:
        raise PostError("front matter is nested too deeply") from None
    if size > MAX_EXPANDED_VALUES:
        raise PostError(
            f"front matter expands to more than {MAX_EXPANDED_VALUES:,} values through YAML "
            "aliases (&anchor / *alias): refused, as a billion-laughs file would be"
        )
    overrides: dict[str, Any] = {}
    if not isinstance(root, yaml.MappingNode):
        return overrides
    first_line: dict[str, int] = {}
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        line = key.start_mark.line + 2  # the file's line: the front matter starts on line 2
        if key.value in first_line:
            warnings.append(
                f"front matter key {key.value!r} is given twice (lines {first_line[key.value]} "
                f"and {line}); the last one is used"
            )
        else:
            first_line[key.value] = line
        if key.value in AS_WRITTEN and isinstance(value, yaml.ScalarNode | yaml.SequenceNode):
            overrides[key.value] = as_written(value)
    return overrides


def load_yaml(front: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """The front matter as a mapping, by python-frontmatter's YAML handler (after
    `check_structure`, whose warnings go to `warnings`)."""
    try:
        overrides = check_structure(front, [] if warnings is None else warnings)
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
    data.update(overrides)
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
