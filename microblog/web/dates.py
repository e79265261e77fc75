"""Dates as readers and the author see them: wall-clock time in the site's zone (`TIMEZONE`).

The one place templates get their date filters from; each converts a stored (UTC) instant
with `timeutil.in_zone`, so a page, a feed's HTML, the admin lists, the editor and the mails
all say the same day and hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from flask import Flask, current_app

from microblog.timeutil import in_zone, zone_abbreviation, zone_named


def site_zone() -> tzinfo:
    """The zone of the current app (`TIMEZONE`); UTC while TIMEZONE names no zone (pages keep
    working; `flask doctor` and `flask posts import` say what is wrong)."""
    try:
        return zone_named(current_app.config.get("TIMEZONE"))
    except ValueError:
        return UTC


def local(value: datetime) -> datetime:
    """The instant as wall-clock time in the site's zone (aware)."""
    return in_zone(value, site_zone())


def long_date(value: datetime) -> str:
    """The day as a reader says it, in the site's zone: 30 September 2025."""
    moment = local(value)
    return f"{moment.day} {moment:%B %Y}"


def iso_datetime(value: datetime) -> str:
    """The instant for `datetime` attributes, microformats and OpenGraph: the site's wall-clock
    time with its offset, to the second (2025-09-30T14:05:00+02:00)."""
    return local(value).isoformat(timespec="seconds")


def iso_date(value: datetime) -> str:
    """The day in the site's zone as YYYY-MM-DD (a sitemap's lastmod)."""
    return local(value).date().isoformat()


def local_datetime(value: datetime) -> str:
    """Date, time and zone for the author's lists and mails: 2025-09-30 14:05 CEST."""
    moment = local(value)
    return f"{moment:%Y-%m-%d %H:%M} {zone_abbreviation(moment)}"


def clock(value: datetime) -> str:
    """The time of day with the zone's name: 14:05 CEST."""
    moment = local(value)
    return f"{moment:%H:%M} {zone_abbreviation(moment)}"


FILTERS = {
    "local": local,
    "long_date": long_date,
    "iso_datetime": iso_datetime,
    "iso_date": iso_date,
    "local_datetime": local_datetime,
    "clock": clock,
}


def init_app(app: Flask) -> None:
    """Give every template (pages, feeds' HTML, admin, mails) the date filters."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
