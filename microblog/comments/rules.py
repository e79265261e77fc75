"""What intake follows: the settings read from the config, the field limits, and whether a
post takes comments at all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from microblog.models import Post
from microblog.timeutil import now_utc


@dataclass(frozen=True)
class FieldLimits:
    """The longest value each form field may hold (the form says so too)."""

    name: int = 100
    email: int = 254
    url: int = 2000
    body: int = 5000


LIMITS = FieldLimits()


@dataclass(frozen=True)
class IntakeRules:
    """The settings intake follows, read once from the app's config."""

    min_seconds: float = 2
    max_links: int = 2
    blocklist: tuple[str, ...] = ()
    trust_returning: bool = True
    close_after_days: int = 0
    sanitizer: str = "bleach"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IntakeRules:
        """The rules as the config sets them."""
        words = re.split(r"[,\n]", str(config.get("COMMENTS_BLOCKLIST") or ""))
        return cls(
            min_seconds=float(config.get("COMMENTS_MIN_SECONDS") or 0),
            max_links=int(config.get("COMMENTS_MAX_LINKS", 2)),
            blocklist=tuple(w.strip().lower() for w in words if w.strip()),
            trust_returning=bool(config.get("COMMENTS_TRUST_RETURNING", True)),
            close_after_days=int(config.get("COMMENTS_CLOSE_AFTER_DAYS") or 0),
            sanitizer=str(config.get("SANITIZER") or "bleach"),
        )


def comments_open(post: Post, rules: IntakeRules, now: datetime | None = None) -> bool:
    """Whether a post takes comments: not switched off, and not past the closing age."""
    if not post.comments_enabled:
        return False
    if rules.close_after_days > 0:
        now = now or now_utc()
        return now - post.published_at <= timedelta(days=rules.close_after_days)
    return True
