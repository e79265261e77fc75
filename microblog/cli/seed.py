"""`flask dev seed`: a large synthetic blog for benchmarks and scale tests.

Rows go in with bulk Core inserts, not through the importer, so that 100,000 posts and a
million comments take a minute rather than an hour; the search index is filled in the same
batches. The posts' words follow a Zipf-like law over a varied vocabulary (seed_text.py), so
that search meets common words, rare ones, phrases and accents as on a real blog. Tags keep
their names "Topic 0", "Topic 1", ... (benchmarks and tests address `/tags/topic-1/`); each
post has one category from a list of subjects.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, insert, select

from microblog.cli.seed_text import CATEGORIES, ProseWriter
from microblog.extensions import db
from microblog.jekyll.slugs import tag_slug
from microblog.models import Category, Comment, CommentStatus, Post, Tag, post_categories, post_tags
from microblog.posts.site_changes import mark_site_changed
from microblog.search import index as search_index
from microblog.timeutil import now_utc

dev_cli = AppGroup("dev", help="Tools for developers: synthetic data.")

BATCH = 5000


def seed_tags(count: int) -> list[tuple[int, str]]:
    """Create `count` tags (or reuse them) and return their ids and names."""
    names = [f"Topic {number}" for number in range(count)]
    existing = dict(db.session.execute(select(Tag.slug, Tag.id)).all())
    new = [{"name": n, "slug": tag_slug(n)} for n in names if tag_slug(n) not in existing]
    if new:
        db.session.execute(insert(Tag), new)
    ids = dict(db.session.execute(select(Tag.slug, Tag.id)).all())
    return [(ids[tag_slug(name)], name) for name in names]


def seed_categories() -> dict[str, int]:
    """The subject categories (made when missing), by name."""
    existing = dict(db.session.execute(select(Category.slug, Category.id)).all())
    new = [{"name": n, "slug": tag_slug(n)} for n in CATEGORIES if tag_slug(n) not in existing]
    if new:
        db.session.execute(insert(Category), new)
    ids = dict(db.session.execute(select(Category.slug, Category.id)).all())
    return {name: ids[tag_slug(name)] for name in CATEGORIES}


def seed_posts(count: int, tags: list[tuple[int, str]], rng: random.Random) -> None:
    """Insert `count` published posts, three tags each, dated one per hour back from now,
    and index them for search."""
    start = db.session.execute(select(func.count(Post.id))).scalar_one()
    newest = now_utc() - timedelta(days=1)
    writer = ProseWriter(rng)
    categories = seed_categories()
    for first in range(0, count, BATCH):
        rows: list[dict[str, object]] = []
        chosen_tags, written = [], []
        for number in range(start + first + 1, start + min(first + BATCH, count) + 1):
            chosen = rng.sample(tags, 3)
            chosen_tags.append(chosen)
            published = newest - timedelta(hours=number)
            slug = f"seeded-post-{number}"
            post = writer.post()
            written.append(post)
            rows.append(
                {
                    "source_key": f"seed/{slug}.md",
                    "title": post.title,
                    "slug": slug,
                    "permalink": f"/seed/{published:%Y/%m}/{slug}/",
                    "published_at": published,
                    "excerpt_html": post.excerpt_html,
                    "body_html": post.body_html,
                    "tag_names": [name for _, name in chosen],
                    "categories": post.categories,
                    "front_matter": {},
                }
            )
        ids = list(
            db.session.execute(
                insert(Post).returning(Post.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
        links = [
            {"post_id": post_id, "tag_id": tag_id}
            for post_id, chosen in zip(ids, chosen_tags, strict=True)
            for tag_id, _ in chosen
        ]
        db.session.execute(insert(post_tags), links)
        filed = [
            {"post_id": post_id, "category_id": categories[name]}
            for post_id, post in zip(ids, written, strict=True)
            for name in post.categories
        ]
        db.session.execute(insert(post_categories), filed)
        search_index.add(
            db.session,
            (
                search_index.Entry(
                    post_id,
                    post.title,
                    post.body_html,
                    [*(name for _, name in chosen), *post.categories],
                )
                for post_id, post, chosen in zip(ids, written, chosen_tags, strict=True)
            ),
        )
        db.session.commit()


def seed_comments(count: int, rng: random.Random) -> None:
    """Insert `count` comments spread over the posts: nine in ten approved."""
    post_ids = db.session.execute(select(Post.id)).scalars().all()
    if not post_ids:
        raise click.ClickException("seed posts first: there is nothing to comment on")
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for first in range(0, count, BATCH):
        rows = [
            {
                "post_id": rng.choice(post_ids),
                "author_name": f"Reader {number % 997}",
                "author_email": f"reader{number % 997}@example.org",
                "body_source": "A seeded comment.",
                "body_html": "<p>A seeded comment.</p>",
                "status": CommentStatus.APPROVED if number % 10 else CommentStatus.PENDING,
                "created_at": base + timedelta(minutes=number),
            }
            for number in range(first, min(first + BATCH, count))
        ]
        db.session.execute(insert(Comment), rows)
        db.session.commit()


@dev_cli.command("seed")
@click.option("--posts", "post_count", default=100, show_default=True, help="Posts to add.")
@click.option("--comments", "comment_count", default=0, show_default=True, help="Comments.")
@click.option("--tags", "tag_count", default=200, show_default=True, help="Tags to spread over.")
@click.option("--seed", "random_seed", default=1, show_default=True, help="Random seed.")
def seed_command(post_count: int, comment_count: int, tag_count: int, random_seed: int) -> None:
    """Add synthetic posts and comments (for benchmarks; never on a real blog)."""
    rng = random.Random(random_seed)
    tags = seed_tags(tag_count)
    db.session.commit()
    seed_posts(post_count, tags, rng)
    seed_comments(comment_count, rng)
    mark_site_changed(db.session)
    db.session.commit()
    click.echo(f"seeded {post_count} posts, {comment_count} comments, {tag_count} tags")


def init_app(app: Flask) -> None:
    """Register `flask dev`."""
    app.cli.add_command(dev_cli)
