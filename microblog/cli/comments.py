"""`flask comments …`: the comments a blog already has, brought in from elsewhere."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from microblog.comments.imports.storing import ImportOutcome
from microblog.extensions import db

comments_cli = AppGroup("comments", help="Readers' comments: import them from elsewhere.")


def report(outcomes: list[ImportOutcome], dry_run: bool) -> None:
    """The lines and summaries of an import, as the author reads them."""
    for outcome in outcomes:
        for line in outcome.lines:
            click.echo(line)
        click.echo(outcome.summary())
    if dry_run:
        click.echo("dry run: nothing changed")


@comments_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
def import_comments(files: tuple[str, ...], dry_run: bool) -> None:
    """Import comments from FILES: Disqus exports (XML), WordPress exports (WXR), or
    Staticman data (`_data/comments/…` files or folders, or a Jekyll site holding them).
    Nothing is mailed; importing again adds nothing twice."""
    from microblog.comments.imports.matching import PostFinder
    from microblog.comments.imports.reading import read_exports
    from microblog.comments.imports.records import ImportFileError
    from microblog.comments.imports.storing import CommentStore

    try:
        exports = read_exports(Path(name) for name in files)
    except ImportFileError as error:
        raise click.ClickException(f"nothing imported: {error}") from None
    store = CommentStore(PostFinder(), str(current_app.config.get("SANITIZER") or "bleach"))
    try:
        outcomes = [store.store(export) for export in exports]
    except BaseException:
        db.session.rollback()
        raise
    foreign = [outcome for outcome in outcomes if outcome.matched_nothing]
    if foreign or dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    report(outcomes, dry_run)
    if foreign:
        raise click.ClickException(
            "nothing imported: no thread of the "
            + " and the ".join(f"{outcome.format} file" for outcome in foreign)
            + " is a post of this blog (is it another blog's export?)"
        )
    if any(outcome.skipped for outcome in outcomes):
        click.get_current_context().exit(1)
