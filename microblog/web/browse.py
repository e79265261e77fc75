"""Ways to browse the archive: by year and month (`/archive/…`) and by Jekyll category
(`/categories/…`, with feeds beside each category page as tags have)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import undefer

from microblog.extensions import db
from microblog.models import Category, Post, post_categories
from microblog.timeutil import now_utc
from microblog.web.caching import cached_page
from microblog.web.dates import site_zone
from microblog.web.public import comment_counts, listing_response, published_counts

bp = Blueprint("browse", __name__)

MONTHS = (
    "January February March April May June July August September October November December"
).split()


def local_months() -> Counter[tuple[int, int]]:
    """How many published posts each (year, month) holds, in the site's zone."""
    zone = site_zone()
    dates = db.session.execute(
        Post.published(now_utc()).with_only_columns(Post.published_at).order_by(None)
    ).scalars()
    return Counter(
        (moment.astimezone(zone).year, moment.astimezone(zone).month) for moment in dates
    )


def posts_in(year: int, month: int | None) -> list[Post]:
    """The published posts of a year (or one of its months) in the site's zone, newest first."""
    zone = site_zone()
    start = datetime(year, month or 1, 1, tzinfo=zone)
    if month is None or month == 12:
        end = datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        end = datetime(year, month + 1, 1, tzinfo=zone)
    query = (
        Post.published(now_utc())
        .where(Post.published_at >= start, Post.published_at < end)
        .options(undefer(Post.front_matter))
    )
    return list(db.session.execute(query).scalars())


@bp.get("/archive/")
def archive() -> ResponseReturnValue:
    """Every year and month that has posts, with how many."""

    def render() -> str:
        months = local_months()
        years: dict[int, list[tuple[int, int]]] = {}
        for (year, month), count in sorted(months.items(), reverse=True):
            years.setdefault(year, []).append((month, count))
        return render_template(
            "public/archive.html", years=years, month_names=MONTHS, total=sum(months.values())
        )

    return cached_page(render)


@bp.get("/archive/<int:year>/")
def archive_year(year: int) -> ResponseReturnValue:
    """The posts of one year, by month."""
    if not 1 <= year <= 9998:
        abort(404)

    def render() -> str:
        posts = posts_in(year, None)
        if not posts:
            abort(404)
        zone = site_zone()
        by_month: dict[int, list[Post]] = {}
        for post in posts:
            by_month.setdefault(post.published_at.astimezone(zone).month, []).append(post)
        return render_template(
            "public/archive_year.html", year=year, by_month=by_month, month_names=MONTHS
        )

    return cached_page(render)


@bp.get("/archive/<int:year>/<month>/")
def archive_month(year: int, month: str) -> ResponseReturnValue:
    """The posts of one month (`/archive/2019/01/`)."""
    if not (len(month) == 2 and month.isascii() and month.isdigit() and 1 <= int(month) <= 12):
        abort(404)
    if not 1 <= year <= 9998:
        abort(404)
    number = int(month)

    def render() -> str:
        posts = posts_in(year, number)
        if not posts:
            abort(404)
        return render_template(
            "public/archive_month.html",
            year=year,
            month=number,
            month_name=MONTHS[number - 1],
            posts=posts,
            comment_counts=comment_counts(posts),
        )

    return cached_page(render)


def category_or_404(slug: str) -> Category:
    """The category with this slug, or a 404."""
    found = db.session.execute(select(Category).where(Category.slug == slug)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


@bp.get("/categories/")
def categories() -> ResponseReturnValue:
    """Every category that has a published post, with its post count."""

    def render() -> str:
        rows = published_counts(Category, post_categories.c.category_id)
        return render_template("public/categories.html", rows=rows)

    return cached_page(render)


@bp.get("/categories/<slug>/")
def category(slug: str) -> ResponseReturnValue:
    """The published posts of one Jekyll category."""
    return listing_response(
        "public/category.html",
        "category",
        lambda: category_or_404(slug),
        Category.filed,
        Category.count_filed,
    )
