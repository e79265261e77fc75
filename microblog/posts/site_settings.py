"""Settings the site itself holds, beside the operator's configuration: what a whole-site
import learnt from `_config.yml` (its permalink style, its navigation), so that posts
written later in the editor or from Micropub follow the imported site's own addresses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from microblog.extensions import db
from microblog.jekyll.settings import SiteSettings
from microblog.models import SiteSetting
from microblog.posts.index import SessionLike
from microblog.timeutil import now_utc

PERMALINK = "permalink"
NAVIGATION = "navigation"
# The whole `_config.yml` the last whole-site import read, for the export to write back.
JEKYLL_CONFIG = "jekyll_config"


def get_setting(key: str, session: SessionLike | None = None) -> Any:
    """A stored setting's value, None when the site holds none."""
    session = session if session is not None else db.session
    row = session.get(SiteSetting, key)
    return row.value if row is not None else None


def set_setting(key: str, value: Any, session: SessionLike | None = None) -> None:
    """Store a setting in the caller's transaction."""
    session = session if session is not None else db.session
    row = session.get(SiteSetting, key)
    if row is None:
        session.add(SiteSetting(key=key, value=value, updated_at=now_utc()))
    else:
        row.value = value
        row.updated_at = now_utc()


def current_site_settings(
    config: Mapping[str, Any], session: SessionLike | None = None
) -> SiteSettings:
    """The settings a new post is made with: the configuration's, with the permalink style
    an imported site's `_config.yml` gave (it wins over PERMALINK: the import came later)."""
    settings = SiteSettings.from_config(config)
    permalink = get_setting(PERMALINK, session)
    return replace(settings, permalink=str(permalink)) if permalink else settings


def stored_site_config(session: SessionLike | None = None) -> dict[str, Any]:
    """What the last whole-site import read from `_config.yml` ({} if none)."""
    value = get_setting(JEKYLL_CONFIG, session)
    return dict(value) if isinstance(value, dict) else {}
