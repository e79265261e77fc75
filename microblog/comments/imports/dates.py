"""The dates comment exports write, read as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from microblog.timeutil import as_utc


def parse_date(value: object) -> datetime | None:
    """An ISO 8601 string (`2013-04-07T19:46:11Z`, `2010-09-20 09:13:44`), a Unix timestamp
    (seconds or milliseconds) or a date YAML already read; a time without an offset is UTC.
    None for nothing or nonsense (`0000-00-00 00:00:00`, WordPress's empty date)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = float(value) / 1000 if value > 1e11 else float(value)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text or text.startswith("0000"):
        return None
    if text.isascii() and text.isdigit():  # `²` passes isdigit(), not int()
        return parse_date(int(text))
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None
