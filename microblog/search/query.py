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


def _sqlite(
    session: SessionLike, terms: Terms, now: datetime, offset: int, limit: int
) -> tuple[list[tuple[int, str, str]], int]:
    params = {"match": terms.fts5(), "now": now, "limit": limit, "offset": offset}
    where = f"post_search MATCH :match AND {PUBLISHED}"
    join = "FROM post_search JOIN posts ON posts.id = post_search.rowid"
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    rows = session.execute(
        text(
            f"SELECT post_search.rowid, highlight(post_search, 0, '{START}', '{STOP}'), "
            f"snippet(post_search, 2, '{START}', '{STOP}', '…', 24) "
            f"{join} WHERE {where} "
            f"ORDER BY bm25(post_search, {weights}), posts.published_at DESC "
            "LIMIT :limit OFFSET :offset"
        ).bindparams(NOW),
        params,
    ).all()
    total = session.execute(
        text(f"SELECT count(*) {join} WHERE {where}").bindparams(NOW), params
    ).scalar_one()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows], int(total)


def _postgres(
    session: SessionLike, terms: Terms, now: datetime, offset: int, limit: int
) -> tuple[list[tuple[int, str, str]], int]:
    parts = []
    params: dict[str, object] = {"now": now, "limit": limit, "offset": offset}
    if terms.words or terms.phrases:
        parts.append(f"websearch_to_tsquery('{PG_CONFIG}', :plain)")
        params["plain"] = terms.websearch()
    if terms.prefixes:
        parts.append(f"to_tsquery('{PG_CONFIG}', :prefixes)")
        params["prefixes"] = terms.prefix_query()
    query = " && ".join(parts)
    options = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=24, MinWords=8"
    where = f"post_search.document @@ q.query AND {PUBLISHED}"
    base = (
        f"FROM post_search JOIN posts ON posts.id = post_search.post_id, "
        f"(SELECT {query} AS query) AS q"
    )
    rows = session.execute(
        text(
            "SELECT post_search.post_id, "
            f"ts_headline('{PG_CONFIG}', post_search.title, q.query, 'HighlightAll=true, "
            f"StartSel={START}, StopSel={STOP}'), "
            f"ts_headline('{PG_CONFIG}', post_search.body, q.query, '{options}') "
            f"{base} WHERE {where} "
            "ORDER BY ts_rank_cd(post_search.document, q.query) DESC, posts.published_at DESC "
            "LIMIT :limit OFFSET :offset"
        ).bindparams(NOW),
        params,
    ).all()
    total = session.execute(
        text(f"SELECT count(*) {base} WHERE {where}").bindparams(NOW), params
    ).scalar_one()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows], int(total)
