"""A reader's words → the database's own full-text query, ranked, with highlighted snippets.

Whatever `q` holds, the engine only ever sees words: the text is split here into plain
words, `prefix*` words and `"quoted phrases"`, each made of letters and digits only, and
handed over as bound parameters (FTS5 quoted strings on SQLite; `websearch_to_tsquery` and a
`:*` prefix query on PostgreSQL). So FTS syntax, NUL, control characters or 10 KB of text
give a page of results (or none), never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import bindparam, select, text

from microblog.models import Post
from microblog.search.index import PG_CONFIG, SessionLike, is_postgres
from microblog.timeutil import UTCDateTime

MAX_TERMS = 12  # words, prefixes and phrases searched; the rest is ignored
MAX_QUERY_CHARS = 500
MAX_WORD_CHARS = 64
# Highlight marks the text cannot hold (private use), turned into <mark> after escaping.
START, STOP = "\ue000", "\ue001"
TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+", re.UNICODE)
# Column weights for FTS5's bm25: title, terms (tags and categories), body.
BM25_WEIGHTS = (10.0, 4.0, 1.0)
# How many matches, newest first, one page's ranking looks at (see `Window`).
RANK_WINDOW = 1000


@dataclass(frozen=True)
class Terms:
    """What a query asks for, each part letters and digits only."""

    words: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes or self.phrases)

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every part must match (implicit AND)."""
        parts = [f'"{word}"' for word in self.words]
        parts += [f'"{prefix}"*' for prefix in self.prefixes]
        parts += ['"' + " ".join(phrase) + '"' for phrase in self.phrases]
        return " ".join(parts)

    def websearch(self) -> str:
        """The words and phrases as `websearch_to_tsquery` reads them."""
        parts = list(self.words) + ['"' + " ".join(phrase) + '"' for phrase in self.phrases]
        return " ".join(parts)

    def prefix_query(self) -> str:
        """The prefixes as a `to_tsquery` expression (`café:* & sea:*`)."""
        return " & ".join(f"{prefix}:*" for prefix in self.prefixes)


def parse(q: str) -> Terms:
    """The parts of a reader's query (see the module docstring)."""
    terms = Terms()
    count = 0
    for match in TOKEN.finditer(q[:MAX_QUERY_CHARS]):
        if count >= MAX_TERMS:
            break
        phrase, token = match.group(1), match.group(2)
        if phrase is not None:
            words = [w[:MAX_WORD_CHARS] for w in WORD.findall(phrase)]
            if len(words) > 1:
                terms.phrases.append(words)
            elif words:
                terms.words.append(words[0])
            count += bool(words)
            continue
        words = [w[:MAX_WORD_CHARS] for w in WORD.findall(token)]
        if not words:
            continue
        if token.endswith("*"):
            terms.words.extend(words[:-1])
            terms.prefixes.append(words[-1])
        else:
            terms.words.extend(words)
        count += len(words)
    return terms


@dataclass(frozen=True)
class Hit:
    """One post found, with its title and a snippet of its text, matches marked."""

    post: Post
    title_html: Markup
    snippet_html: Markup


@dataclass(frozen=True)
class Results:
    """A page of hits and how many posts matched in all."""

    hits: list[Hit]
    total: int


def marked(value: str | None) -> Markup:
    """Engine output with our private marks → escaped HTML with <mark> around matches."""
    escaped = str(escape(value or ""))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))


def search(session: SessionLike, q: str, *, now: datetime, offset: int, limit: int) -> Results:
    """The published posts matching `q`, best first."""
    terms = parse(q)
    if not terms:
        return Results([], 0)
    if is_postgres(session):
        rows, total = _postgres(session, terms, now, offset, limit)
    else:
        rows, total = _sqlite(session, terms, now, offset, limit)
    found = session.execute(select(Post).where(Post.id.in_([row[0] for row in rows])))
    posts = {post.id: post for post in found.scalars()}
    hits = [
        Hit(posts[post_id], marked(title), marked(snippet))
        for post_id, title, snippet in rows
        if post_id in posts
    ]
    return Results(hits, total)


PUBLISHED = "posts.is_draft = false AND posts.published_at <= :now"
NOW = bindparam("now", type_=UTCDateTime())
# The index `ix_posts_search_visibility` (id, is_draft, published_at): each match's post is
# checked for being published from this small index, not from the posts' wide rows.
VISIBILITY_INDEX = "ix_posts_search_visibility"


@dataclass(frozen=True)
class Window:
    """Which matches are ranked for a page: a word in every post must not make every post's
    rank be computed. The matches, newest first, are cut into windows of whole pages (about
    RANK_WINDOW matches); a page is ranked within the window that holds it, so page 1 shows
    the best of the newest RANK_WINDOW matches, and every match is on exactly one page. A
    query with fewer matches than that is ranked over all of them."""

    start: int  # the window's first match, newest first
    size: int
    offset: int  # the page's first hit within the window
    limit: int

    @classmethod
    def of(cls, offset: int, limit: int) -> Window:
        size = max(1, RANK_WINDOW // max(limit, 1)) * max(limit, 1)
        start = offset // size * size
        # An offset between pages (no caller asks for one) ends at its window's end.
        return cls(start, size, offset - start, min(limit, start + size - offset))

    def params(self) -> dict[str, int]:
        return {
            "window": self.size,
            "window_start": self.start,
            "limit": self.limit,
            "offset": self.offset,
        }


def _sqlite(
    session: SessionLike, terms: Terms, now: datetime, offset: int, limit: int
) -> tuple[list[tuple[int, str, str]], int]:
    params: dict[str, object] = {
        "match": terms.fts5(),
        "now": now,
        **Window.of(offset, limit).params(),
    }
    # CROSS JOIN keeps the full-text index the outer loop: otherwise SQLite may walk the posts
    # and test the MATCH once per post (seconds for a prefix over 10,000 posts).
    matches = (
        f"FROM post_search CROSS JOIN posts INDEXED BY {VISIBILITY_INDEX} "
        f"ON posts.id = post_search.rowid WHERE post_search MATCH :match AND {PUBLISHED}"
    )
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    # The matches are listed once (their count, and the window to rank, come from that
    # list); then bm25 is computed for the window's posts only. `+rowid` keeps the window
    # a filter on the index's scan: as a constraint, FTS5 would look each post up in the
    # index one by one (slow for a prefix, whose words' lists are merged at every lookup).
    page = session.execute(
        text(
            "WITH matched AS MATERIALIZED ("
            f"SELECT post_search.rowid AS id, posts.published_at AS published_at {matches}), "
            "candidates AS MATERIALIZED (SELECT id FROM matched "
            "ORDER BY published_at DESC, id DESC LIMIT :window OFFSET :window_start) "
            "SELECT post_search.rowid, (SELECT count(*) FROM matched) "
            f"{matches} AND +post_search.rowid IN (SELECT id FROM candidates) "
            f"ORDER BY bm25(post_search, {weights}), posts.published_at DESC, "
            "post_search.rowid DESC LIMIT :limit OFFSET :offset"
        ).bindparams(NOW),
        params,
    ).all()
    ranked = [int(row[0]) for row in page]
    if page:
        total = int(page[0][1])
    elif offset:  # a page past the last match: the count alone, for the pager
        total = session.execute(
            text(f"SELECT count(*) {matches}").bindparams(NOW), params
        ).scalar_one()
    else:
        total = 0
    if not ranked:
        return [], int(total)
    # Highlights and snippets for the page's posts only.
    marked_rows = session.execute(
        text(
            f"SELECT rowid, highlight(post_search, 0, '{START}', '{STOP}'), "
            f"snippet(post_search, 2, '{START}', '{STOP}', '…', 24) "
            "FROM post_search WHERE post_search MATCH :match AND +rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"match": params["match"], "ids": list(ranked)},
    ).all()
    by_id = {int(r[0]): (str(r[1]), str(r[2])) for r in marked_rows}
    return [(int(i), *by_id[int(i)]) for i in ranked if int(i) in by_id], int(total)


def _postgres(
    session: SessionLike, terms: Terms, now: datetime, offset: int, limit: int
) -> tuple[list[tuple[int, str, str]], int]:
    parts = []
    params: dict[str, object] = {"now": now, **Window.of(offset, limit).params()}
    if terms.words or terms.phrases:
        parts.append(f"websearch_to_tsquery('{PG_CONFIG}', :plain)")
        params["plain"] = terms.websearch()
    if terms.prefixes:
        parts.append(f"to_tsquery('{PG_CONFIG}', :prefixes)")
        params["prefixes"] = terms.prefix_query()
    query = " && ".join(parts)
    options = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=24, MinWords=8"
    matches = (
        "FROM post_search JOIN posts ON posts.id = post_search.post_id "
        f"WHERE post_search.document @@ ({query}) AND {PUBLISHED}"
    )
    # A word in most posts makes the planner read every post's tsvector (and with it the
    # TOAST table) rather than ask the GIN index; the index answers without reading them.
    # The setting is put back by the statement itself once it is planned (one round trip
    # less: under load each one costs milliseconds), or by the rollback if it fails.
    previous = session.execute(
        text("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
    ).scalar_one()
    rows = session.execute(
        text(
            "WITH candidates AS MATERIALIZED ("
            f"SELECT post_search.post_id, posts.published_at {matches} "
            "ORDER BY posts.published_at DESC, posts.id DESC "
            "LIMIT :window OFFSET :window_start), "
            # Each candidate's row looked up by its key (the planner, misled by the CTE's
            # estimate, would otherwise read the whole index in order).
            "page AS MATERIALIZED ("
            "SELECT candidates.post_id, candidates.published_at, "
            f"(SELECT ts_rank_cd(document, {query}) FROM post_search "
            "WHERE post_search.post_id = candidates.post_id) AS rank "
            "FROM candidates "
            "ORDER BY rank DESC, candidates.published_at DESC, candidates.post_id DESC "
            "LIMIT :limit OFFSET :offset) "
            # One row always (the count, the setting put back), with the page's hits.
            "SELECT page.post_id, "
            f"ts_headline('{PG_CONFIG}', title, {query}, 'HighlightAll=true, "
            f"StartSel={START}, StopSel={STOP}'), "
            f"ts_headline('{PG_CONFIG}', body, {query}, '{options}'), "
            "totals.total "
            f"FROM (SELECT (SELECT count(*) {matches}) AS total, "
            "set_config('enable_seqscan', :previous, true) AS restored) AS totals "
            "LEFT JOIN (page JOIN post_search ON post_search.post_id = page.post_id) ON true "
            "ORDER BY page.rank DESC, page.published_at DESC, page.post_id DESC"
        ).bindparams(NOW),
        {**params, "previous": previous},
    ).all()
    total = int(rows[0][3])
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows if r[0] is not None], total
