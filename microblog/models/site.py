"""The site's one row of state: the change counter every cache and feed reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Integer,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import Model, db
from microblog.models import database
from microblog.models.posts import Post, Tag, post_tags
from microblog.timeutil import UTCDateTime, as_utc, now_utc

NO_SYNC = {"synchronize_session": False}


class SiteState(Model):
    """One row whose `generation` grows with every change a page or feed could show.

    Change tracking lives here, in the model layer: every writer (the importer, the comment
    rules, later the editor) calls `SiteState.bump()` in its own transaction, and the
    response cache only reads the counter (see `generation.py`), knowing nothing of who wrote.
    """

    __tablename__ = "site_state"
    # The migrations create its one row: it is no content of a blog, and restore replaces it.
    __table_args__ = {"info": {"backup": "replace"}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @staticmethod
    def bump() -> None:
        """Record a change pages or feeds could show, in the caller's transaction."""
        now = now_utc()
        db.session.execute(
            update(SiteState)
            .where(SiteState.id == 1)
            .values(generation=SiteState.generation + 1, changed_at=now)
        )
        # What the change made public stays known: a tag with a published post now has had one.
        published = exists().where(post_tags.c.tag_id == Tag.id, post_tags.c.post_id == Post.id)
        published = published.where(Post.is_draft.is_(False), Post.published_at <= now)
        tags = update(Tag).where(Tag.published_once.is_(False), published)
        db.session.execute(tags.values(published_once=True), execution_options=NO_SYNC)

    @staticmethod
    def current_generation() -> int:
        """The counter now (0 before the migrations made its row)."""
        found = db.session.execute(select(SiteState.generation).where(SiteState.id == 1))
        return int(found.scalar_one_or_none() or 0)

    @staticmethod
    def advance_past(generation: int) -> None:
        """Move the counter beyond `generation` and beyond where it is, keeping `changed_at`
        (a restore: what was cached of the blog before is stale, yet nothing changed for
        readers of the restored one)."""
        # SQLite's max() of two values is PostgreSQL's greatest().
        larger = func.max if db.session.get_bind().dialect.name == "sqlite" else func.greatest
        moved = larger(SiteState.generation, generation) + 1
        db.session.execute(update(SiteState).where(SiteState.id == 1).values(generation=moved))

    @staticmethod
    def last_change(now: datetime | None = None) -> datetime:
        """When anything a page shows last changed: the last recorded change, or the
        newest post to go live (a post scheduled for later goes live without any write)."""
        now = now or now_utc()
        changed = db.session.execute(
            select(SiteState.changed_at).where(SiteState.id == 1)
        ).scalar_one_or_none()
        newest = db.session.execute(
            select(func.max(Post.published_at)).where(
                Post.is_draft.is_(False), Post.published_at <= now
            )
        ).scalar_one_or_none()
        moments = [as_utc(moment) for moment in (changed, newest) if moment is not None]
        return min(max(moments), now) if moments else now

    @staticmethod
    def next_scheduled_post() -> datetime | None:
        """When the next post dated in the future goes live (the site changes then, unbumped)."""
        return db.session.execute(Post.next_scheduled()).scalar_one_or_none()


# The counter as one plain SQL statement, for `generation.GenerationReader`'s raw cursor.
GENERATION_SQL = database.GENERATION_SQL
