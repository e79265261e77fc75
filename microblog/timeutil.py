"""Timezone-aware UTC timestamps, and the site's zone, in one place.

feedgen refuses naive datetimes and SQLite hands back naive ones, so every datetime that
enters or leaves the database passes through here. Stored times are UTC; what a reader or
the author sees or types is wall-clock time in the site's zone (`TIMEZONE`), converted by
`in_zone` (shown) and `local_to_utc` (typed) and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A column that stores UTC and always returns timezone-aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite keeps no zone; store naive UTC there so that comparisons sort as text.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


# ---------------------------------------------------------------------------- the site's zone


class NonexistentLocalTime(ValueError):
    """A wall-clock time the zone skips (the hour the clocks jump over in spring)."""


def zone_named(name: str | None) -> tzinfo:
    """The zone an IANA name (`Europe/Paris`) names; UTC for "UTC" or nothing.

    ValueError for a name zoneinfo does not know.
    """
    if not name or name.upper() in {"UTC", "Z", "ETC/UTC"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a time zone (an IANA name: Europe/Paris)") from exc


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """The same instant as wall-clock time in `zone` (aware); a naive value is UTC."""
    return as_utc(value).astimezone(zone)


def is_ambiguous(local: datetime) -> bool:
    """Whether this wall-clock time happens twice in its zone (the hour the clocks go back)."""
    naive = local.replace(tzinfo=None)
    zone = local.tzinfo
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second


def local_to_utc(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time typed in `zone` as a UTC instant.

    A time that happens twice (the hour the clocks go back) is the first of the two, as the
    clock first shows it; an offset written with the time chooses the other. A time the
    clocks skip raises NonexistentLocalTime rather than silently meaning another hour.
    """
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    local = naive.replace(tzinfo=zone, fold=0)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        skipped = back.utcoffset() - local.utcoffset()  # type: ignore[operator]
        raise NonexistentLocalTime(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone}: the clocks jump forward "
            f"{int(skipped.total_seconds() // 60)} minutes that night; choose another time "
            f"(such as {back:%H:%M}, the same moment after the jump)"
        )
    return local.astimezone(UTC)


def zone_abbreviation(value: datetime) -> str:
    """The zone's short name at that moment (CET, CEST, PST; UTC), or its offset."""
    name = value.tzname() or ""
    if name and not name.startswith(("+", "-")):
        return name
    offset = value.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
