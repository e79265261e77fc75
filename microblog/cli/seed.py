"""`flask dev seed`: a large synthetic blog for benchmarks and scale tests.

Rows go in with bulk Core inserts, not through the importer, so that 100,000 posts and a
million comments take a minute rather than an hour.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, insert, select

from microblog.extensions import db
from microblog.jekyll.slugs import tag_slug
from microblog.models import Comment, CommentStatus, Post, Tag, post_tags
from microblog.posts.site_changes import mark_site_changed
from microblog.timeutil import now_utc

dev_cli = AppGroup("dev", help="Tools for developers: synthetic data.")

BATCH = 5000
PARAGRAPH = (
    '<p>Seeded text for load tests. It has a <a href="/tags/">relative link</a>, '
    "<em>emphasis</em> and enough words to look like a real paragraph of a real post.</p>"
)


def seed_tags(count: int) -> list[tuple[int, str]]:
    """Create `count` tags (or reuse them) and return their ids and names."""
    names = [f"Topic {number}" for number in range(count)]
    existing = dict(db.session.execute(select(Tag.slug, Tag.id)).all())
    new = [{"name": n, "slug": tag_slug(n)} for n in names if tag_slug(n) not in existing]
    if new:
        db.session.execute(insert(Tag), new)
    ids = dict(db.session.execute(select(Tag.slug, Tag.id)).all())
    return [(ids[tag_slug(name)], name) for name in names]


def seed_posts(count: int, tags: list[tuple[int, str]], rng: random.Random) -> None:
    """Insert `count` published posts, three tags each, dated one per hour back from now."""
    start = db.session.execute(select(func.count(Post.id))).scalar_one()
    newest = now_utc() - timedelta(days=1)
    for first in range(0, count, BATCH):
        rows, chosen_tags = [], []
        for number in range(start + first + 1, start + min(first + BATCH, count) + 1):
            chosen = rng.sample(tags, 3)
            chosen_tags.append(chosen)
            published = newest - timedelta(hours=number)
            slug = f"seeded-post-{number}"
            rows.append(
                {
                    "source_key": f"seed/{slug}.md",
                    "title": f"Seeded post {number}",
                    "slug": slug,
                    "permalink": f"/seed/{published:%Y/%m}/{slug}/",
                    "published_at": published,
                    "excerpt_html": PARAGRAPH,
                    "body_html": PARAGRAPH * 12,
                    "tag_names": [name for _, name in chosen],
                    "categories": [],
                    "front_matter": {},
                }
            )
        ids = db.session.execute(
            insert(Post).returning(Post.id, sort_by_parameter_order=True), rows
        ).scalars()
        links = [
            {"post_id": post_id, "tag_id": tag_id}
            for post_id, chosen in zip(ids, chosen_tags, strict=True)
            for tag_id, _ in chosen
        ]
        db.session.execute(insert(post_tags), links)
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
