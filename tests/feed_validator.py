"""What the W3C Feed Validation Service checks that matters to a reader, for the suite.

The validator itself is not packaged, so this checks its findings that break readers:
well-formed XML under a strict parser, feedparser without `bozo`, the elements RFC 4287 and
RSS 2.0 require, dates a parser reads (RFC 3339 / RFC 822), and every URL written as a URI
(no raw space or non-ASCII character: "Invalid character in a URI"). JSON Feeds are checked
against the JSON Feed 1.1 schema (tests/jsonfeed-1.1.schema.json) with its formats.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import feedparser
import jsonschema
from lxml import etree

SCHEMA = Path(__file__).with_name("jsonfeed-1.1.schema.json")
ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3986: the characters a URI may hold, and `%` only as the start of an escape.
URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def problems_in(body: bytes, content_type: str) -> list[str]:
    """Everything wrong with a feed document, as a validator would list it (empty: valid)."""
    if "json" in content_type:
        return json_feed_problems(body)
    return xml_feed_problems(body)


@cache
def json_feed_validator() -> jsonschema.protocols.Validator:
    """The JSON Feed 1.1 schema, checking formats too."""
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def json_feed_problems(body: bytes) -> list[str]:
    """Schema errors of a JSON Feed, plus URLs that are not URIs."""
    try:
        document = json.loads(body.decode("utf-8"))
    except ValueError as error:
        return [f"not JSON in UTF-8: {error}"]
    found = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in json_feed_validator().iter_errors(document)
    ]
    urls = [document.get(key) for key in ("home_page_url", "feed_url", "next_url")]
    for item in document.get("items", []):
        urls += [item.get("url"), item.get("external_url")]
    return found + [f"not a URI: {url!r}" for url in urls if url and not URI.fullmatch(url)]


def xml_feed_problems(body: bytes) -> list[str]:
    """Problems of an RSS 2.0 or Atom 1.0 document."""
    try:
        root = etree.fromstring(body, etree.XMLParser(recover=False, resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    parsed = feedparser.parse(body)
    found = [f"feedparser: {parsed.get('bozo_exception')}"] if parsed.bozo else []
    if root.tag == ATOM + "feed":
        found += atom_problems(root)
    elif root.tag == "rss" and root.get("version") == "2.0":
        found += rss_problems(root)
    else:
        found.append(f"neither RSS 2.0 nor Atom: <{root.tag}>")
    return found


def atom_problems(feed) -> list[str]:
    """RFC 4287's requirements that readers depend on."""
    found = require(feed, ["id", "title", "updated"], ATOM, "feed")
    found += dates(feed.findall(f"{ATOM}updated"), rfc3339=True)
    has_feed_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    for number, entry in enumerate(feed.findall(f"{ATOM}entry"), 1):
        where = f"entry {number}"
        found += require(entry, ["id", "title", "updated"], ATOM, where)
        if not has_feed_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
            found.append(f"{where}: no author")
        alternates = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if not alternates and entry.find(f"{ATOM}content") is None:
            found.append(f"{where}: neither content nor an alternate link")
        found += dates(entry.findall(f"{ATOM}updated") + entry.findall(f"{ATOM}published"), True)
    found += uris([link.get("href") for link in feed.iter(f"{ATOM}link")])
    found += uris([element.text for element in feed.iter(f"{ATOM}id")])
    return found


def rss_problems(rss) -> list[str]:
    """RSS 2.0's required elements, its dates and its URLs."""
    channel = rss.find("channel")
    if channel is None:
        return ["no <channel>"]
    found = require(channel, ["title", "link", "description"], "", "channel")
    found += dates(channel.findall("lastBuildDate") + channel.findall("pubDate"), rfc3339=False)
    urls = [channel.findtext("link")]
    for number, item in enumerate(channel.findall("item"), 1):
        if item.find("title") is None and item.find("description") is None:
            found.append(f"item {number}: neither title nor description")
        found += dates(item.findall("pubDate"), rfc3339=False)
        found += dates(item.findall(f"{ATOM}updated"), rfc3339=True)
        guid = item.find("guid")
        if guid is not None and guid.get("isPermaLink", "true") == "true":
            urls.append(guid.text)
        urls += [item.findtext("link"), item.findtext("comments")]
    urls += [link.get("href") for link in channel.iter(f"{ATOM}link")]
    return found + uris(urls)


def require(parent, names: list[str], namespace: str, where: str) -> list[str]:
    """`where` lacks one of the elements `names` (or has an empty one)."""
    return [
        f"{where}: no <{name}>"
        for name in names
        if not (parent.findtext(namespace + name) or "").strip()
    ]


def dates(elements, rfc3339: bool) -> list[str]:
    """Dates that are not RFC 3339 (Atom) or RFC 822 (RSS), or carry no zone."""
    found = []
    for element in elements:
        text = (element.text or "").strip()
        try:
            if rfc3339:
                if not RFC3339.fullmatch(text):
                    raise ValueError
                moment = datetime.fromisoformat(text)
            else:
                moment = parsedate_to_datetime(text)
            if moment.tzinfo is None:
                raise ValueError
        except (ValueError, TypeError):
            found.append(f"<{etree.QName(element).localname}> is not a valid date: {text!r}")
    return found


def uris(values) -> list[str]:
    """The values that are not absolute URIs."""
    return [f"not a URI: {value!r}" for value in values if value and not URI.fullmatch(value)]
