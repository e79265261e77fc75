"""`flask author …`: the author's account, tokens, private feed, password and sessions."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

if TYPE_CHECKING:
    from microblog.models import Author

author_cli = AppGroup("author", help="Manage the author's account.")


def read_password(password_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice at the terminal."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def find_author_or_fail(username: str) -> Author:
    """The author named `username`, or a clear error."""
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Author

    author = db.session.execute(
        select(Author).where(Author.username == username)
    ).scalar_one_or_none()
    if author is None:
        raise click.ClickException(f"No author is named {username!r}.")
    return author


@author_cli.command("create")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from one line of standard input instead of asking.",
)
@click.option("--email", default="", help="Where the author's notifications go.")
def create_author(username: str, password_stdin: bool, email: str) -> None:
    """Create the author account USERNAME (the password is asked twice, or read from stdin)."""
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Author
    from microblog.models.accounts import credential_problem

    username = username.strip()
    problem = credential_problem(username, "-")
    if problem:
        raise click.UsageError(problem)
    email = email.strip()
    if email and (len(email) > 254 or "@" not in email or any(c.isspace() for c in email)):
        raise click.UsageError(f"{email!r} is not an email address.")
    if db.session.execute(select(Author.id).where(Author.username == username)).first():
        raise click.ClickException(f"An author named {username!r} already exists.")
    password = read_password(password_stdin)
    problem = credential_problem(username, password)
    if problem:
        raise click.ClickException(problem)
    author = Author(username=username, email=email or None)
    author.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(author)
    db.session.commit()
    click.echo(f"created author {username}")


@author_cli.command("token")
@click.argument("username")
@click.option("--revoke-all", is_flag=True, help="Revoke every token of USERNAME instead.")
@click.option(
    "--scope",
    "scope",
    default=None,
    metavar="SCOPES",
    help="Limit the token to some of: create update delete media (space or comma separated).",
)
def author_token(username: str, revoke_all: bool, scope: str | None) -> None:
    """Print a new Micropub access token for USERNAME (shown once; only its hash is kept)."""
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Author
    from microblog.models import tokens as access_tokens

    author = db.session.execute(
        select(Author).where(Author.username == username.strip()[:80])
    ).scalar_one_or_none()
    if author is None:
        raise click.ClickException(f"No author is named {username!r} (flask author create).")
    if revoke_all:
        count = access_tokens.revoke_all(author)
        # Resetting access ends the signed-in sessions too (a copied cookie included).
        author.end_sessions()
        db.session.commit()
        click.echo(
            f"revoked {count} token{'' if count == 1 else 's'} of {author.username}; "
            "every session of theirs has ended"
        )
        return
    scopes: tuple[str, ...] = access_tokens.SCOPES
    if scope is not None:
        try:
            scopes = access_tokens.parse_scopes(scope)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--scope") from None
        if not scopes:
            raise click.BadParameter("name at least one scope", param_hint="--scope")
    token = access_tokens.issue(author, scopes)
    db.session.commit()
    click.echo(token)
    click.echo(
        f"This is {author.username}'s new Micropub token (scopes: {' '.join(scopes)}). "
        "It is shown only now; `flask author token --revoke-all` voids it.",
        err=True,
    )


@author_cli.command("feed-url")
@click.argument("username")
@click.option("--rotate", is_flag=True, help="Make a new URL; every older one stops working.")
def author_feed_url(username: str, rotate: bool) -> None:
    """Print the secret URL of USERNAME's private feed of comments waiting for moderation."""
    from sqlalchemy import select

    from microblog import mail as notify
    from microblog.extensions import db
    from microblog.models import Author

    author = db.session.execute(
        select(Author).where(Author.username == username.strip()[:80])
    ).scalar_one_or_none()
    if author is None:
        raise click.ClickException(f"No author is named {username!r} (flask author create).")
    if rotate:
        author.feed_generation += 1
        db.session.commit()
    click.echo(notify.feed_url(author))
    click.echo(
        "Keep it secret: it shows the queue and its action links to anyone who has it.",
        err=True,
    )


@author_cli.command("password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from one line of standard input instead of asking.",
)
def change_password(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password; every session signed in before ends."""
    from microblog.extensions import db
    from microblog.models.accounts import credential_problem

    author = find_author_or_fail(username.strip())
    password = read_password(password_stdin)
    problem = credential_problem(author.username, password)
    if problem:
        raise click.ClickException(problem)
    author.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    click.echo(f"new password for {author.username}; every session of theirs has ended")


@author_cli.command("sign-out")
@click.argument("username")
def sign_out_everywhere(username: str) -> None:
    """End every session of USERNAME (a lost laptop, a copied cookie)."""
    from microblog.extensions import db

    author = find_author_or_fail(username.strip())
    author.end_sessions()
    db.session.commit()
    click.echo(f"every session of {author.username} has ended")
