"""Jekyll dates (`2015-10-20 11:12:00 -0400`, `2025-09-30`, `4 March 2019`) → aware UTC
datetimes.

The ISO-like form Jekyll sites mostly write is read by a regular expression (fast, and strict
about what it ignores); anything else goes to python-dateutil's parser, which takes the
forms Ruby's `Time.parse` takes (`4 March 2019`, `March 4, 2019 10:00`, `04/03/2019` day
first as Ruby reads it, RFC 2822), missing parts filled in as Ruby fills them (this year).
"""

from __future__ import annotations

import re
import warnings as python_warnings
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from dateutil import parser as dateutil_parser

from microblog.jekyll.errors import PostError

YEAR_FIRST = re.compile(r"^\s*\d{4}\b")

# Instants a post may carry: inside Python's years 1-9999 from every zone's point of view
# (0001-01-01T00:00 at +05:00 is year 0 in UTC; 9999-12-31T23:00 at -05:00 is year 10000),
# so every page, feed and editor can show it in any TIMEZONE. Jekyll themes do date posts
# 9999-12-31 ("a future post"): that day, at midnight UTC, is still a post's.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def out_of_range(value: datetime) -> str | None:
    """Why a date cannot be a post's (None: it can)."""
    if EARLIEST <= value <= LATEST:
        return None
    return (
        f"the date {value.isoformat()[:40]} is outside the years a post may carry "
        "(0001-01-02 to 9999-12-31 in UTC)"
    )


def to_utc(value: datetime, zone: tzinfo) -> datetime:
    """`value` (in `zone` when it has no offset of its own) as UTC, inside the dates a post
    may carry; ValueError says why not."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"the date {value.isoformat()[:40]} is outside the years a post may carry"
        ) from None
    why = out_of_range(utc)
    if why is not None:
        raise ValueError(why)
    return utc


DATE_VALUE = re.compile(
    r"""^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)
    (?:(?:[Tt]|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6})\d*)?)?)?
    (?P<rest>(?:\s.*?)?)\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{1,2})?$""",
    re.VERBOSE | re.DOTALL,
)


class YamlTimestamp(str):
    """A front-matter value YAML itself reads as a timestamp (written unquoted).

    Ruby's YAML, which Jekyll reads front matter with, makes such a time without an offset a
    UTC instant (`date: 2019-01-03 00:30:00` is 01:30 in Paris), while a quoted one, or one
    without seconds, is read by Time.parse in the site's zone; a date alone is midnight in
    the site's zone either way. Checked against `jekyll build` (tests/system).
    """

    __slots__ = ()


def parse_offset(offset: str) -> tzinfo:
    """The zone of `Z`, `UTC`, `GMT`, `+0200`, `-04:00` or `+5`."""
    if offset.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    digits = offset[1:].replace(":", "")
    if len(digits) > 2:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    else:
        hours, minutes = int(digits), 0
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def parse_date(raw: Any, zone: tzinfo, warnings: list[str], what: str = "date") -> datetime:
    """An aware UTC datetime from a Jekyll date (`2015-10-20 11:12:00 -0400`, `2025-09-30`).

    A date without an offset is in the site's zone. Like Ruby's Time.parse (which Jekyll
    uses), words it does not understand after the time are ignored, with a warning.
    """
    text = str(raw).strip()
    match = DATE_VALUE.match(text)
    if match is None:
        return parse_free_form(text, zone, warnings, what)
    parts = match.groupdict()
    fraction = (parts["f"] or "0").ljust(6, "0")
    try:
        value = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise PostError(f"{what} {text!r} does not exist ({exc})") from None
    if parts["rest"].strip():
        warnings.append(f"ignored {parts['rest'].strip()!r} in the {what} {text!r}")
    offset = parts["tz"]
    if offset is None and isinstance(raw, YamlTimestamp) and parts["H"] is not None:
        zone = UTC  # YAML's own timestamp: a time without an offset is UTC (see YamlTimestamp)
    try:
        value = value.replace(tzinfo=zone if offset is None else parse_offset(offset))
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise PostError(f"{what} {text!r} is out of range ({exc})") from None


def parse_free_form(text: str, zone: tzinfo, warnings: list[str], what: str) -> datetime:
    """A date in another form Ruby's Time.parse reads (`4 March 2019`, `March 4, 2019 10:00`)."""
    this_year = datetime.now(UTC).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None
    )
    with python_warnings.catch_warnings(record=True) as caught:
        python_warnings.simplefilter("always")
        try:
            value = dateutil_parser.parse(
                text, default=this_year, dayfirst=not YEAR_FIRST.match(text)
            )
        except (ValueError, OverflowError):
            raise PostError(
                f"{what} {text!r} is not a date (YYYY-MM-DD [HH:MM:SS] [+HHMM], 4 March 2019, …)"
            ) from None
    for warning in caught:
        if "tzname" in str(warning.message):
            warnings.append(f"ignored the unknown zone in the {what} {text!r}")
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise PostError(f"{what} {text!r} is out of range ({exc})") from None
