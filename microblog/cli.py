"""The author's commands: `flask posts …`, `flask author …`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

posts_cli = AppGroup("posts", help="Import and export posts.")
author_cli = AppGroup("author", help="Manage the author's account.")


@posts_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a post.")
def import_posts(paths: tuple[str, ...], dry_run: bool, if_empty: bool) -> None:
    """Import Jekyll posts from PATHS (files, or folders searched recursively)."""
    from flask import current_app

    from .content.importer import database_has_posts, import_paths
    from .content.jekyll import SiteSettings

    if if_empty and database_has_posts():
        click.echo("nothing imported: the database already holds posts (--if-empty)")
        return

    def show(result) -> None:
        for line in result.lines():
            click.echo(line)

    settings = SiteSettings.from_config(current_app.config)
    try:
        settings.zone  # noqa: B018 (fail before the first file on an unknown TIMEZONE)
    except (ValueError, KeyError) as exc:
        raise click.UsageError(f"TIMEZONE {settings.timezone!r} is not a known zone") from exc
    report = import_paths(paths, settings, dry_run=dry_run, on_result=show)
    click.echo(report.summary())
    if report.failed:
        click.get_current_context().exit(1)


@author_cli.command("create")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from one line of standard input instead of asking.",
)
def create_author(username: str, password_stdin: bool) -> None:
    """Create the author account USERNAME (the password is asked twice, or read from stdin)."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Author

    username = username.strip()
    if not username or len(username) > 80:
        raise click.UsageError("The username must be 1 to 80 characters.")
    if db.session.execute(select(Author.id).where(Author.username == username)).first():
        raise click.ClickException(f"An author named {username!r} already exists.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("The password must not be empty.")
    author = Author(username=username)
    author.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(author)
    db.session.commit()
    click.echo(f"created author {username}")


@author_cli.command("token")
@click.argument("username")
@click.option("--revoke-all", is_flag=True, help="Revoke every token of USERNAME instead.")
def author_token(username: str, revoke_all: bool) -> None:
    """Print a new Micropub access token for USERNAME (shown once; only its hash is kept)."""
    from sqlalchemy import select

    from . import access_tokens
    from .extensions import db
    from .models import Author

    author = db.session.execute(
        select(Author).where(Author.username == username.strip()[:80])
    ).scalar_one_or_none()
    if author is None:
        raise click.ClickException(f"No author is named {username!r} (flask author create).")
    if revoke_all:
        count = access_tokens.revoke_all(author)
        db.session.commit()
        click.echo(f"revoked {count} token{'' if count == 1 else 's'} of {author.username}")
        return
    token = access_tokens.issue(author)
    db.session.commit()
    click.echo(token)
    click.echo(
        f"This is {author.username}'s new Micropub token (scopes: create update delete). "
        "It is shown only now; `flask author token --revoke-all` voids it.",
        err=True,
    )


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(posts_cli)
    app.cli.add_command(author_cli)


__all__ = ["click", "posts_cli", "author_cli", "init_app"]
