"""`GET /search?q=…` (`&page=N`): the posts matching a reader's words, and the OpenSearch
description that lets a browser search the blog from its address bar."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue

from microblog.extensions import db
from microblog.models.ids import parse_id
from microblog.search.query import MAX_QUERY_CHARS, search
from microblog.timeutil import now_utc

bp = Blueprint("search", __name__)

PER_PAGE = 10
PAGE_MAX = 1000
# What no query needs and no page should echo: control characters, NUL, U+FFFE/U+FFFF.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")


def query_argument() -> str:
    """The reader's words: the first `q` (a repeated one is ignored), printable, bounded."""
    values = request.args.getlist("q")
    raw = values[0] if values else ""
    return UNPRINTABLE.sub(" ", raw)[:MAX_QUERY_CHARS].strip()


@bp.get("/search")
def results() -> ResponseReturnValue:
    """A page of posts matching `q`, best first, with the matches marked; any `q` is a page."""
    q = query_argument()
    pages = request.args.getlist("page")
    number = parse_id(pages[0], PAGE_MAX) if len(pages) == 1 else (1 if not pages else None)
    if number is None:
        abort(404)
    found = search(db.session, q, now=now_utc(), offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
    last = max(1, -(-found.total // PER_PAGE))
    response = make_response(
        render_template(
            "public/search.html",
            q=q,
            results=found,
            page=number,
            last_page=last,
        )
    )
    # Result pages are for readers, not for search engines' indexes.
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/opensearch.xml")
def opensearch() -> ResponseReturnValue:
    """The OpenSearch description: the blog's search as a browser's search engine."""
    body = render_template("public/opensearch.xml")
    response = make_response(body)
    response.mimetype = "application/opensearchdescription+xml"
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['FEED_MAX_AGE']}"
    return response
