"""The author's uploaded files (images): where each lives, what it is, and its variants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import Model
from microblog.timeutil import UTCDateTime, now_utc


class Media(Model):
    """One uploaded image: its cleaned original at `path` (a URL path under MEDIA_FOLDER)
    and, once the job made them, WebP copies at a few fixed widths (`variants`)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The URL path the file is served at, "/media/2026/12/photo.jpg"; the same path under
    # MEDIA_FOLDER holds it.
    path: Mapped[str] = mapped_column(String(500), unique=True)
    # The name the author's file had (shown in the library and as the default alt text).
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the cleaned original (what is served).
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # [{"width": 480, "height": 320, "path": "/media/2026/12/photo-480w.webp"}, …], smallest
    # first; empty until the variants job ran.
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    @staticmethod
    def newest() -> Select[Media]:
        """The library's order: newest upload first."""
        return select(Media).order_by(Media.created_at.desc(), Media.id.desc())

    @staticmethod
    def at_path(path: str) -> Select[Media]:
        """The upload whose original or one of whose variants is served at `path`."""
        return select(Media).where(Media.path == path)
