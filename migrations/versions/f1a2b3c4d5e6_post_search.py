"""Full-text search: SQLite FTS5 (diacritics folded), PostgreSQL tsvector with GIN; filled
from the posts already stored

Revision ID: f1a2b3c4d5e6
Revises: e5a1c7d3b9f2
Create Date: 2026-12-07 08:10:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e5a1c7d3b9f2"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # A configuration of our own: `simple` (no stemming, no stop words), with accents
        # folded by `unaccent` where the server has it (a trusted extension since
        # PostgreSQL 13: the database's owner may create it), so "cafe" finds "café".
        available = bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        ).first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE TEXT SEARCH CONFIGURATION microblog_search (COPY = simple)")
        if available:
            op.execute(
                "ALTER TEXT SEARCH CONFIGURATION microblog_search "
                "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple"
            )
        op.execute(
            "CREATE TABLE post_search ("
            " post_id INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,"
            " title TEXT NOT NULL DEFAULT '', terms TEXT NOT NULL DEFAULT '',"
            " body TEXT NOT NULL DEFAULT '', document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_post_search_document ON post_search USING GIN (document)")
        insert = (
            "INSERT INTO post_search (post_id, title, terms, body, document) VALUES "
            "(:id, :title, :terms, :body, "
            "setweight(to_tsvector('microblog_search', :title), 'A') || "
            "setweight(to_tsvector('microblog_search', :terms), 'B') || "
            "setweight(to_tsvector('microblog_search', :body), 'C'))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5("
            "title, terms, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        insert = (
            "INSERT INTO post_search (rowid, title, terms, body) "
            "VALUES (:id, :title, :terms, :body)"
        )
    fill(bind, insert)


def as_list(value):
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


def fill(bind, insert):
    """Index the posts already stored (the writer keeps it in step from now on)."""
    from microblog.search.index import plain_text

    rows = bind.execute(sa.text("SELECT id, title, body_html, tag_names, categories FROM posts"))
    for post_id, title, body_html, tag_names, categories in rows.all():
        terms = " ".join(as_list(tag_names) + as_list(categories))
        bind.execute(
            sa.text(insert),
            {"id": post_id, "title": title, "terms": terms, "body": plain_text(body_html or "")},
        )


def downgrade():
    op.execute("DROP TABLE IF EXISTS post_search")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS microblog_search")
