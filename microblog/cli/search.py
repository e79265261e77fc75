"""`flask search rebuild`: the full-text index made again from the stored posts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The full-text search index.")


@search_cli.command("rebuild")
def rebuild() -> None:
    """Index every post again (a repair: the post writer keeps the index in step)."""
    from microblog.extensions import db
    from microblog.search.index import rebuild as rebuild_index

    count = rebuild_index(db.session)
    db.session.commit()
    click.echo(f"{count} posts indexed")
