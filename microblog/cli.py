"""The author's commands: `flask posts …`, `flask author …`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

posts_cli = AppGroup("posts", help="Import and export posts.")
author_cli = AppGroup("author", help="Manage the author's account.")


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(posts_cli)
    app.cli.add_command(author_cli)


__all__ = ["click", "posts_cli", "author_cli", "init_app"]
