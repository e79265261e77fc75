"""The zone every date is shown in: the site's `TIMEZONE` (UTC when unset or unknown)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app


def site_zone() -> ZoneInfo:
    """The site's zone, so a post's day and month are the author's."""
    try:
        return ZoneInfo(str(current_app.config.get("TIMEZONE") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
