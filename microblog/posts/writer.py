"""The one writer of posts: create, update and delete, for the importer, the editor and
Micropub alike.

- A post is a `PostInput` (no source file needed); an import adds an `ImportOrigin`.
- The body is rendered once, here, at write time (`markdown.render_post`).
- Every change grows the post's `version` by one; a save that names the version it was
  based on (`expected_version`) fails with `VersionConflict` when the post moved on.
  `imported_version` records the version an import wrote, so the importer can tell a post
  edited in the app since.
- A changed permalink keeps the old one as an automatic redirect (301), so every address
  a post ever had still leads to it; a post that takes a path an old address used wins.
- Every write marks the site changed in the caller's transaction. The writer never
  commits: its caller does, once per request or per import batch, and the change counter
  is bumped once, just before that commit (not once per post of a 500-post batch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, exists, insert, or_, select, update

from microblog.extensions import db
from microblog.jekyll import dates, permalinks
from microblog.jekyll.errors import PostNotFound, PostRejected, VersionConflict
from microblog.jekyll.markdown import printable, render_post
from microblog.jekyll.post_input import MAX_PERMALINK, MAX_SLUG, MAX_TITLE, PostInput
from microblog.jekyll.settings import MarkdownOptions, SiteSettings
from microblog.jekyll.slugs import tag_slug
from microblog.jekyll.tex import unrendered_math
from microblog.models import (
    Category,
    Comment,
    Post,
    Redirect,
    Tag,
    post_categories,
    post_tags,
    posts_table,
    tags_table,
)
from microblog.posts import tombstones
from microblog.posts.index import PostIndex, SessionLike, StoredPost
from microblog.posts.media import enhance_body
from microblog.posts.reader import stored_input
from microblog.posts.site_changes import mark_changed, mark_deleted
from microblog.search import index as search_index
from microblog.timeutil import as_utc, now_utc

__all__ = [
    "ImportOrigin",
    "PostInput",
    "PostNotFound",
    "PostRejected",
    "PostWriter",
    "Saved",
    "StoredPost",
    "VersionConflict",
]


@dataclass(frozen=True)
class ImportOrigin:
    """The file a post was imported from: its key across re-imports, path, text and hash."""

    source_key: str
    source_path: str
    source_text: str
    content_hash: str


@dataclass
class Saved:
    """What a save did: the post's id (negative on a dry run), where it lives, its version."""

    post_id: int
    permalink: str
    version: int
    created: bool
    warnings: list[str] = field(default_factory=list)


def note_slug(published_at: datetime, settings: SiteSettings) -> str:
    """The slug of a post without a title: its local date and time."""
    return published_at.astimezone(settings.zone).strftime("%Y-%m-%d-%H%M%S")


def edited_at(values: dict[str, Any]) -> Any:
    """The post's `updated_at` after an update with these values: now when what the author
    wrote changed (its file, title or body), else as it was. A re-import after TIMEZONE or
    another setting changed renders every post again; that is not an edit, and neither the
    post's "updated" date nor its feed entries' <updated> may move for it."""
    posts = posts_table
    written = [
        posts.c[name].is_distinct_from(values[name])
        for name in ("title", "body_source", "source_text")
        if name in values
    ]
    return case((or_(*written), now_utc()), else_=posts.c.updated_at)


# Characters no database column keeps: NUL (PostgreSQL refuses it in text) and lone UTF-16
# surrogates (not encodable as UTF-8, so neither SQLite nor PostgreSQL takes them).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string inside a post's field (lists and front matter mappings walked)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(key, where)
            yield from _texts(inner, where)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner, where)


def refuse_unstorable(post: PostInput) -> None:
    """Refuse, naming the field, a post holding what cannot be stored or shown: NUL, a lone
    surrogate, a date outside the years every zone can show. Every way in (editor, Micropub,
    import, restore) writes through here, so none of them ends in a 500."""
    fields = {
        "title": post.title,
        "body": post.body,
        "excerpt": post.excerpt,
        "permalink": post.permalink,
        "slug": post.slug,
        "tags": post.tag_names,
        "categories": post.categories,
        "redirect_from": post.redirect_from,
        "front_matter": post.front_matter,
    }
    for name, value in fields.items():
        for where, text in _texts(value, name):
            found = UNSTORABLE.search(text)
            if found is not None:
                what = "NUL (U+0000)" if found.group() == "\x00" else "a lone surrogate"
                raise PostRejected(f"{where} contains {what}, which cannot be stored", field=where)
    for name, moment in (
        ("published_at", post.published_at),
        ("last_modified_at", post.last_modified_at),
    ):
        if moment is not None:
            try:
                why = dates.out_of_range(as_utc(moment))
            except OverflowError:
                why = f"the date {moment.isoformat()[:40]} is outside the years a post may carry"
            if why is not None:
                raise PostRejected(why, field=name)


# What a post's HTML depends on: its text, its kind, its excerpt and the site's Markdown
# options (hashable: the key of a render done ahead).
RenderInputs = tuple[str, bool, str | None, str | None, MarkdownOptions, str | None]


def render_inputs(post: PostInput, settings: SiteSettings) -> RenderInputs:
    """The inputs of a post's render, as the writer will render it."""
    separator = post.excerpt_separator or settings.excerpt_separator
    return (
        post.body,
        post.is_markdown,
        post.excerpt,
        separator,
        settings.markdown,
        post.excerpt_markdown,
    )


def render(inputs: RenderInputs) -> tuple[str, str]:
    """(body_html, excerpt_html) for those inputs."""
    body, is_markdown, excerpt, separator, options, excerpt_markdown = inputs
    return render_post(
        body,
        is_markdown=is_markdown,
        excerpt=excerpt,
        excerpt_separator=separator,
        options=options,
        excerpt_markdown=excerpt_markdown,
    )


class PostWriter:
    """Creates, updates and deletes posts in `session` (the app's by default).

    `preload=True` reads what the checks need for every post at once (an import of many
    files); otherwise each save reads only the rows it touches. On a dry run nothing is
    written, but the writer answers as though it had been.
    """

    def __init__(
        self,
        settings: SiteSettings,
        session: SessionLike | None = None,
        *,
        dry_run: bool = False,
        preload: bool = False,
    ) -> None:
        self.settings = settings
        self.session = session if session is not None else db.session
        self.dry_run = dry_run
        self.index = PostIndex(self.session)
        self.dry_ids = 0
        # render_inputs(...) -> (body_html, excerpt_html), filled by posts/render_ahead.py.
        self.rendered_ahead: dict[RenderInputs, tuple[str, str]] = {}
        if preload:
            self.index.preload()

    # -- reading ---------------------------------------------------------------------------

    def input_of(self, post_id: int) -> PostInput:
        """A stored post as a PostInput (what an editor form or `q=source` starts from)."""
        return stored_input(self.session, post_id)

    # -- checks ----------------------------------------------------------------------------

    def permalink_for(self, post: PostInput) -> str:
        """The post's permalink: its own (a path, taken as given), else the site's pattern."""
        local = post.published_at.astimezone(self.settings.zone)
        try:
            if post.permalink:
                path = permalinks.check_path(post.permalink)
            else:
                path = permalinks.build(
                    self.settings.permalink,
                    date=local,
                    slug=self.slug_for(post),
                    categories=post.categories,
                )
        except permalinks.PermalinkError as exc:
            raise PostRejected(str(exc), field="permalink") from None
        if len(path) > MAX_PERMALINK:
            raise PostRejected(
                f"permalink is longer than {MAX_PERMALINK} characters", field="permalink"
            )
        return path

    def slug_for(self, post: PostInput) -> str:
        """The post's slug: its own, else from its title, else from its date and time."""
        slug = post.slug or permalinks.jekyll_slugify(post.title)
        return (slug or note_slug(post.published_at, self.settings))[:MAX_SLUG]

    def check(self, post: PostInput, permalink: str, current: StoredPost | None) -> None:
        """Refuse what would clash with another post or break a column."""
        if len(post.title) > MAX_TITLE:
            raise PostRejected(f"title is longer than {MAX_TITLE} characters", field="title")
        owner = self.index.at_permalink(permalink)
        if owner is not None and (current is None or owner.id != current.id):
            raise PostRejected(
                f"permalink {permalink} is already the address of {owner.label}; "
                "give this post its own permalink",
                field="permalink",
                kind="conflict",
            )

    def redirects_for(
        self,
        post: PostInput,
        permalink: str,
        current: StoredPost | None,
        warnings: list[str],
    ) -> dict[str, bool]:
        """Every old address the post keeps → whether it is automatic.

        The author's own (`redirect_from`) unless another post uses that path; the app's
        own kept from before, plus the permalink the post had until now.
        """
        own_id = current.id if current else None
        result: dict[str, bool] = {}
        for old in post.redirect_from:
            holder = self.index.at_permalink(old)
            redirect = self.index.redirect_owner(old)
            taken = holder if holder is not None and holder.id != own_id else None
            if taken is None and redirect is not None and redirect.post_id != own_id:
                taken = self.index.get(redirect.post_id)
            if taken is not None:
                warnings.append(f"redirect_from {old} ignored: it is already used by {taken.label}")
            elif old != permalink:
                result[old] = False
        if current is not None:
            automatic = [p for p, auto in self.index.redirects_of(current.id).items() if auto]
            if current.permalink != permalink:
                automatic.append(current.permalink)
            for old in automatic:
                if old != permalink:
                    result.setdefault(old, True)
        return result

    # -- writing ---------------------------------------------------------------------------

    def save(
        self,
        post: PostInput,
        *,
        post_id: int | None = None,
        expected_version: int | None = None,
        origin: ImportOrigin | None = None,
    ) -> Saved:
        """Create the post (no `post_id`) or update that one; render it; keep its redirects.

        Raises PostRejected (a clash, a bad permalink), PostNotFound or VersionConflict.
        """
        refuse_unstorable(post)
        current = None
        if post_id is not None:
            current = self.index.get(post_id)
            if current is None:
                raise PostNotFound(f"no post has the id {post_id}")
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(current.version, expected_version)
        permalink = self.permalink_for(post)
        self.check(post, permalink, current)
        warnings: list[str] = []
        redirects = self.redirects_for(post, permalink, current, warnings)
        inputs = render_inputs(post, self.settings)
        # An import may have rendered this very text ahead, in another process.
        if inputs in self.rendered_ahead:
            body_html, excerpt_html = self.rendered_ahead.pop(inputs)
        else:
            body_html, excerpt_html = render(inputs)
        # What HTML and XML forbid (U+0007, U+000B, U+FFFE…) leaves at write time, so no
        # page or feed ever carries it.
        body_html, excerpt_html = printable(body_html), printable(excerpt_html)
        warnings.extend(unrendered_math(body_html))
        body_html = enhance_body(self.session, body_html, self.settings.site_url)
        excerpt_html = enhance_body(self.session, excerpt_html, self.settings.site_url)
        values: dict[str, Any] = {
            "title": printable(post.title),
            "slug": self.slug_for(post),
            "permalink": permalink,
            "published_at": post.published_at,
            "last_modified_at": post.last_modified_at,
            "is_draft": post.is_draft,
            "comments_enabled": post.comments_enabled,
            "excerpt_html": excerpt_html,
            "body_html": body_html,
            "body_source": post.body,
            "tag_names": post.tag_names,
            "categories": post.categories,
            "front_matter": post.front_matter,
        }
        if origin is not None:
            values.update(
                source_key=origin.source_key,
                source_path=origin.source_path,
                source_text=origin.source_text,
                content_hash=origin.content_hash,
            )
        if self.dry_run:
            new_id, version = self.pretend(current)
        else:
            touched = self.tag_slugs_of([current.id]) if current is not None else set()
            new_id, version = self.write(values, current, expected_version, origin is not None)
            self.write_links(new_id, post.tag_names, redirects, permalink, current is None)
            self.file_in_categories(new_id, post.categories, current is None)
            if (current is None or current.permalink != permalink) and (
                self.index.may_have_tombstone(permalink)
            ):
                tombstones.clear(self.session, permalink)
                self.index.tombstones.discard(permalink)
            touched.update(tag_slug(name) for name in post.tag_names)
            search_index.put(
                self.session,
                new_id,
                title=values["title"],
                body_html=body_html,
                terms=[*post.tag_names, *post.categories],
            )
            mark_changed(self.session, touched, post.goes_live(), post_id=new_id)
        self.remember(new_id, values, version, current, origin, redirects, permalink)
        return Saved(new_id, permalink, version, current is None, warnings)

    def pretend(self, current: StoredPost | None) -> tuple[int, int]:
        """The id and version a dry run's save would have given."""
        if current is not None:
            return current.id, current.version + 1
        self.dry_ids -= 1
        return self.dry_ids, 1

    def write(
        self,
        values: dict[str, Any],
        current: StoredPost | None,
        expected_version: int | None,
        imported: bool,
    ) -> tuple[int, int]:
        """Insert or update the post's row; its id and new version."""
        posts = posts_table
        if current is None:
            row = self.session.execute(
                insert(posts)
                .values(
                    {
                        **values,
                        "version": 1,
                        "imported_version": 1 if imported else None,
                    }
                )
                .returning(posts.c.id)
            ).scalar_one()
            return row, 1
        statement = update(posts).where(posts.c.id == current.id)
        if expected_version is not None:
            statement = statement.where(posts.c.version == expected_version)
        bumped = posts.c.version + 1
        if imported:
            values = {**values, "imported_version": bumped}
        values = {**values, "updated_at": edited_at(values)}
        version = self.session.execute(
            statement.values({**values, "version": bumped}).returning(posts.c.version)
        ).scalar()
        if version is None:
            fresh = self.index.load(Post.id == current.id)
            if fresh is None:
                raise PostNotFound(f"no post has the id {current.id}")
            raise VersionConflict(fresh.version, expected_version or current.version)
        return current.id, version

    def write_links(
        self,
        post_id: int,
        tag_names: list[str],
        redirects: dict[str, bool],
        permalink: str,
        created: bool,
    ) -> None:
        """The post's tags and old addresses; an old address where it now lives goes."""
        session = self.session
        if self.index.redirect_owner(permalink) is not None:
            session.execute(delete(Redirect).where(Redirect.path == permalink))
        if not created:
            session.execute(delete(post_tags).where(post_tags.c.post_id == post_id))
            session.execute(delete(Redirect).where(Redirect.post_id == post_id))
        tag_ids = list(dict.fromkeys(self.tag_id(name) for name in tag_names))
        if tag_ids:
            session.execute(
                insert(post_tags),
                [{"post_id": post_id, "tag_id": tid} for tid in tag_ids],
            )
        if redirects:
            session.execute(
                insert(Redirect),
                [
                    {"path": path, "post_id": post_id, "automatic": automatic}
                    for path, automatic in redirects.items()
                ],
            )

    def file_in_categories(self, post_id: int, names: list[str], created: bool) -> None:
        """Link the post to its categories' rows (made on first use, named as first
        written), so a category page is a lookup."""
        if not created:
            self.session.execute(
                delete(post_categories).where(post_categories.c.post_id == post_id)
            )
        ids = list(dict.fromkeys(self.category_id(name) for name in names if tag_slug(name)))
        if ids:
            self.session.execute(
                insert(post_categories),
                [{"post_id": post_id, "category_id": cid} for cid in ids],
            )

    def category_id(self, name: str) -> int:
        """The id of the category with this name's slug, creating it when new."""
        slug = tag_slug(name)
        known = self.session.execute(
            select(Category.id).where(Category.slug == slug)
        ).scalar_one_or_none()
        if known is None:
            known = self.session.execute(
                insert(Category).values(name=name[:200], slug=slug).returning(Category.id)
            ).scalar_one()
        return int(known)

    def tag_id(self, name: str) -> int:
        """The id of the tag with this name's slug, creating the tag (named as written)."""
        slug = tag_slug(name)
        found = self.index.tag_id(slug)
        if found is None:
            tags = tags_table
            found = self.session.execute(
                insert(tags).values(name=name, slug=slug).returning(tags.c.id)
            ).scalar_one()
            self.index.tag_ids[slug] = found
        return found

    def remember(
        self,
        post_id: int,
        values: dict[str, Any],
        version: int,
        current: StoredPost | None,
        origin: ImportOrigin | None,
        redirects: dict[str, bool],
        permalink: str,
    ) -> None:
        """Keep the index true after a save (or, on a dry run, as if saved)."""
        index = self.index
        index.drop_redirect(permalink)
        index.set_redirects(post_id, redirects)
        source: tuple[str | None, str, str, int | None]
        if origin is not None:
            source = (
                origin.source_key,
                origin.source_path,
                origin.content_hash,
                version,
            )
        elif current is not None:
            source = (
                current.source_key,
                current.source_path,
                current.content_hash,
                current.imported_version,
            )
        else:
            source = (None, "", "", None)
        key, path, content_hash, imported_version = source
        index.remember(
            StoredPost(
                id=post_id,
                source_key=key,
                source_path=path,
                content_hash=content_hash,
                permalink=values["permalink"],
                title=values["title"],
                version=version,
                imported_version=imported_version,
            )
        )

    def tag_slugs_of(self, post_ids: list[int]) -> set[str]:
        """The slugs of the tags these posts carry now (their feeds change with them)."""
        query = select(Tag.slug).join(post_tags).where(post_tags.c.post_id.in_(post_ids))
        return set(self.session.execute(query).scalars())

    def delete(self, post_ids: Iterable[int]) -> list[StoredPost]:
        """Remove these posts with their comments, tags' links and old addresses.

        Tags no post carries any more go too (their pages would have nothing to show).
        """
        removed: list[StoredPost] = []
        for post_id in dict.fromkeys(post_ids):
            post = self.index.get(post_id)
            if post is None:
                raise PostNotFound(f"no post has the id {post_id}")
            removed.append(post)
        ids = [post.id for post in removed]
        if ids and not self.dry_run:
            session = self.session
            for post in removed:
                # Its address answers 410 Gone from now on, and it can be undeleted.
                tombstones.bury(session, self.input_of(post.id), post.permalink)
                self.index.tombstones.add(post.permalink)
                body_html = session.execute(
                    select(posts_table.c.body_html).where(posts_table.c.id == post.id)
                ).scalar_one()
                mark_deleted(session, post.permalink, body_html or "")
            tag_ids = select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(ids))
            orphans = list(session.execute(tag_ids.distinct()).scalars())
            touched = self.tag_slugs_of(ids)
            session.execute(delete(Comment).where(Comment.post_id.in_(ids)))
            session.execute(delete(Redirect).where(Redirect.post_id.in_(ids)))
            session.execute(delete(post_tags).where(post_tags.c.post_id.in_(ids)))
            search_index.remove(session, ids)
            session.execute(delete(post_categories).where(post_categories.c.post_id.in_(ids)))
            session.execute(delete(posts_table).where(posts_table.c.id.in_(ids)))
            if orphans:
                in_use = exists().where(post_tags.c.tag_id == Tag.id)
                gone = session.execute(
                    delete(Tag).where(Tag.id.in_(orphans), ~in_use).returning(Tag.slug)
                ).scalars()
                for slug in gone:
                    self.index.tag_ids.pop(slug, None)
            mark_changed(self.session, touched)
        for post in removed:
            self.index.forget(post)
            self.index.drop_redirects(post.id)
        return removed
