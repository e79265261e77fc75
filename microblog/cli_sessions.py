"""`flask author password` and `flask author sign-out`: the commands that end sessions."""

from __future__ import annotations

import click
from flask import current_app

from .cli import author_cli, find_author_or_fail, read_password


@author_cli.command("password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from one line of standard input instead of asking.",
)
def change_password(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password; every session signed in before ends."""
    from .accounts import credential_problem
    from .extensions import db

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
    from .extensions import db

    author = find_author_or_fail(username.strip())
    author.end_sessions()
    db.session.commit()
    click.echo(f"every session of {author.username} has ended")
