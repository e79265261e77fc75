"""W3C Micropub requests → what the blog does with them; pure (no request, no database).

Every request form of the Recommendation is read into one shape: form-encoded and
multipart bodies become the JSON form (`{"type": ["h-entry"], "properties": {…}}`, with
`name[]` meaning a list), then JSON is checked and turned into a `Create`, `Update` or
`Delete`. `entry_fields()` maps an h-entry's properties onto the post's fields; properties
the blog has no field for are kept as they came (they go into the post's front matter).
Anything malformed raises `MicropubError`, which carries the spec's error name and status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from html import escape
from typing import Any

from microblog.jekyll import dates

# Properties the blog stores in its own fields; everything else is kept as extra.
KNOWN = frozenset({"name", "content", "summary", "category", "published", "post-status", "photo"})
# Micropub commands (`mp-*`): instructions to the server, never stored.
COMMANDS = frozenset({"mp-slug", "mp-syndicate-to", "mp-destination", "mp-channel"})
# Form fields that are about the request, not the post.
REQUEST_FIELDS = frozenset({"access_token", "h", "action", "url"})
MAX_TAG = 200
SLUG = re.compile(r"[^\w-]+")


class MicropubError(Exception):
    """A request the endpoint refuses: `error` is the spec's name, `status` the HTTP code."""

    STATUS = {
        "invalid_request": 400,
        "unauthorized": 401,
        "insufficient_scope": 401,
        "forbidden": 403,
    }

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = self.STATUS[error]

    def body(self) -> dict[str, str]:
        """The JSON error body the spec describes."""
        return {"error": self.error, "error_description": self.description}


def invalid(description: str) -> MicropubError:
    """An `invalid_request` error."""
    return MicropubError("invalid_request", description)


@dataclass
class Create:
    """Make a new post from an h-entry's properties."""

    properties: dict[str, list[Any]]


@dataclass
class Update:
    """Change the post at `url`: replace, add to, and delete properties or values."""

    url: str
    replace: dict[str, list[Any]] = field(default_factory=dict)
    add: dict[str, list[Any]] = field(default_factory=dict)
    delete_properties: list[str] = field(default_factory=list)
    delete_values: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Delete:
    """Remove the post at `url`."""

    url: str


@dataclass
class Undelete:
    """Bring back the post deleted at `url`."""

    url: str


Action = Create | Update | Delete | Undelete


# ---------------------------------------------------------------------------- reading bodies


def from_form(items: Iterable[tuple[str, str]], has_files: bool = False) -> dict[str, Any]:
    """A form-encoded or multipart body (its fields in order) as the JSON request form."""
    if has_files:
        raise invalid(
            "only photo files can be uploaded with a post (photo, photo[]); send other "
            "files to the media endpoint first, or as URLs"
        )
    values: dict[str, list[str]] = {}
    for raw_key, value in items:
        key = raw_key.removesuffix("[]")
        if "[" in key or "]" in key:
            raise invalid(f"{raw_key!r}: only name[] marks a list in a form; send JSON instead")
        values.setdefault(key, []).append(value)
    action = single(values, "action")
    if action is not None:
        if action not in ("delete", "undelete"):
            raise invalid(
                f"action={action} must be sent as JSON (only delete and undelete are form-encoded)"
            )
        return {"action": action, "url": single(values, "url") or ""}
    kind = single(values, "h") or "entry"
    properties = {k: v for k, v in values.items() if k not in REQUEST_FIELDS}
    return {"type": [f"h-{kind}"], "properties": properties}


def single(values: Mapping[str, list[str]], key: str) -> str | None:
    """A form field that may appear once; two different values are refused."""
    found = values.get(key) or []
    if len(set(found)) > 1:
        raise invalid(f"{key} is given more than once")
    return found[0] if found else None


def parse(body: Any) -> Action:
    """The action a JSON request body asks for (form bodies go through `from_form` first)."""
    if not isinstance(body, dict):
        raise invalid(f"the JSON body must be an object, not {json_kind(body)}")
    action = body.get("action")
    if action is None:
        return parse_create(body)
    if not isinstance(action, str):
        raise invalid("action must be a string")
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise invalid(f"action {action} needs the url of a post")
    if action == "delete":
        return Delete(url.strip())
    if action == "update":
        return parse_update(url.strip(), body)
    if action == "undelete":
        return Undelete(url.strip())
    raise invalid(f"unknown action {action!r} (create, update, delete or undelete)")


def json_kind(value: Any) -> str:
    """How JSON names a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_create(body: dict[str, Any]) -> Create:
    """A create request: an h-entry with properties whose values are all arrays."""
    kinds = body.get("type", ["h-entry"])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise invalid('type must be an array of strings, like ["h-entry"]')
    if kinds != ["h-entry"]:
        raise invalid(f"this blog makes h-entry posts only, not {', '.join(kinds) or 'nothing'}")
    return Create(property_map(body.get("properties"), "properties"))


def property_map(value: Any, where: str) -> dict[str, list[Any]]:
    """An object of property name → array of values, or an invalid_request saying why not."""
    if not isinstance(value, dict):
        raise invalid(f"{where} must be an object, not {json_kind(value)}")
    for name, values in value.items():
        if not isinstance(values, list):
            raise invalid(f"{where}.{name} must be an array, not {json_kind(values)}")
    return dict(value)


def parse_update(url: str, body: dict[str, Any]) -> Update:
    """An update: any of `replace`, `add` (objects of arrays) and `delete` (names or values)."""
    update = Update(url)
    if "replace" in body:
        update.replace = property_map(body["replace"], "replace")
    if "add" in body:
        update.add = property_map(body["add"], "add")
    if "delete" in body:
        delete = body["delete"]
        if isinstance(delete, list):
            if not all(isinstance(name, str) for name in delete):
                raise invalid("delete must list property names as strings")
            update.delete_properties = list(delete)
        else:
            update.delete_values = property_map(delete, "delete")
    if not (update.replace or update.add or update.delete_properties or update.delete_values):
        raise invalid("an update needs replace, add or delete")
    return update


# ---------------------------------------------------------------------------- h-entry → post


@dataclass
class EntryFields:
    """An h-entry as the blog's post fields."""

    title: str | None
    body: str
    body_is_html: bool
    tags: list[str]
    published_at: datetime | None
    is_draft: bool
    slug: str | None
    extra: dict[str, list[Any]]


def first_string(properties: Mapping[str, list[Any]], name: str) -> str | None:
    """The first value of a single-valued text property, checked to be a string."""
    values = properties.get(name) or []
    if not values:
        return None
    if not isinstance(values[0], str):
        raise invalid(f"{name} must be text, not {json_kind(values[0])}")
    return values[0]


def content_of(properties: Mapping[str, list[Any]]) -> tuple[str, bool]:
    """The body and whether it is HTML: `content` as text (Markdown) or {"html": …}."""
    values = properties.get("content") or properties.get("summary") or []
    if not values:
        raise invalid("a post needs content")
    value = values[0]
    if isinstance(value, str):
        return value, False
    if isinstance(value, dict):
        if isinstance(value.get("html"), str):
            return value["html"], True
        if isinstance(value.get("value"), str):
            return value["value"], False
        raise invalid('content must be text, {"html": "…"} or {"value": "…"}')
    raise invalid(f"content must be text or an object, not {json_kind(value)}")


def tags_of(properties: Mapping[str, list[Any]]) -> list[str]:
    """The categories as tag names: strings, no commas (the editor's separator), not too long."""
    names: list[str] = []
    for value in properties.get("category") or []:
        if not isinstance(value, str):
            raise invalid(f"category values must be text, not {json_kind(value)}")
        name = " ".join(value.split())
        if "," in name:
            raise invalid(f"category {name!r} holds a comma; send each tag as its own value")
        if len(name) > MAX_TAG:
            raise invalid(f"category {name[:40]!r}… is longer than {MAX_TAG} characters")
        if name and name not in names:
            names.append(name)
    return names


def parse_published(raw: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date-time; one without an offset is in the blog's zone."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise invalid(f"published {text[:60]!r} is not an ISO 8601 date-time that exists") from None
    try:
        return dates.to_utc(value, zone)
    except ValueError as why:
        raise invalid(f"published: {why}") from None


def photo_markdown(properties: Mapping[str, list[Any]]) -> str:
    """Photos given as URLs (or {"value", "alt"}), as Markdown images after the body."""
    lines = []
    for value in properties.get("photo") or []:
        if isinstance(value, str):
            url, alt = value, ""
        elif isinstance(value, dict) and isinstance(value.get("value"), str):
            url, alt = value["value"], str(value.get("alt") or "")
        else:
            raise invalid('photo must be a URL or {"value": URL, "alt": text}')
        if not url.startswith(("https://", "http://")):
            raise invalid(f"photo {url[:80]!r} is not an http(s) URL")
        alt = alt.replace("[", "").replace("]", "")
        lines.append(f"![{alt}](<{url}>)")
    return "\n\n".join(lines)


def entry_fields(properties: Mapping[str, list[Any]], zone: tzinfo) -> EntryFields:
    """What a create request's properties mean for the post."""
    body, is_html = content_of(properties)
    photos = photo_markdown(properties)
    if photos:
        body = body.rstrip("\n") + ("\n\n" if body.strip() else "")
        body += (
            photos
            if not is_html
            else "".join(
                f'<p><img src="{escape(url)}" alt=""></p>' for url in photo_urls(properties)
            )
        )
    if not body.strip():
        raise invalid("a post needs content")
    status = first_string(properties, "post-status")
    if status not in (None, "draft", "published"):
        raise invalid(f"post-status {status!r} must be draft or published")
    published = first_string(properties, "published")
    slug = first_string(properties, "mp-slug")
    if slug is not None:
        slug = SLUG.sub("-", slug).strip("-")[:200] or None
    title = first_string(properties, "name")
    return EntryFields(
        title=" ".join(title.split()) if title and title.strip() else None,
        body=body,
        body_is_html=is_html,
        tags=tags_of(properties),
        published_at=parse_published(published, zone) if published else None,
        is_draft=status == "draft",
        slug=slug,
        extra={
            name: values
            for name, values in properties.items()
            if name not in KNOWN and name not in COMMANDS and not name.startswith("mp-")
        },
    )


def photo_urls(properties: Mapping[str, list[Any]]) -> list[str]:
    """The photo URLs, checked already by `photo_markdown`."""
    return [v if isinstance(v, str) else v["value"] for v in properties.get("photo") or []]


def apply_update(properties: dict[str, list[Any]], update: Update) -> dict[str, list[Any]]:
    """An entry's properties after an update, in the spec's order: replace, add, delete."""
    result = {name: list(values) for name, values in properties.items()}
    for name, values in update.replace.items():
        result[name] = list(values)
    for name, values in update.add.items():
        result.setdefault(name, [])
        result[name].extend(v for v in values if v not in result[name])
    for name in update.delete_properties:
        result.pop(name, None)
    for name, values in update.delete_values.items():
        if name in result:
            result[name] = [v for v in result[name] if v not in values]
            if not result[name]:
                del result[name]
    return result
