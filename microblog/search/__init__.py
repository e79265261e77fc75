"""Full-text search over the published posts, on each database's own engine.

index.py   the index kept in step by the post writer, in its transaction: SQLite FTS5
           (`unicode61 remove_diacritics 2`), PostgreSQL `tsvector` with a GIN index
query.py   a reader's words → a query the engine parses safely (never string-built
           from raw input), ranked (titles weigh most), with highlighted snippets
"""
