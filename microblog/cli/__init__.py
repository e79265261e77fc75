"""The author's and operator's commands, one click group per module: `flask posts …`,
`flask author …`, `flask jobs …` (and `flask dev seed` for benchmarks)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    from microblog.cli.author import author_cli
    from microblog.cli.backup import backup_command, restore_command
    from microblog.cli.comments import comments_cli
    from microblog.cli.doctor import doctor_cli
    from microblog.cli.fediverse import fediverse_cli
    from microblog.cli.jobs import jobs_cli
    from microblog.cli.posts import posts_cli
    from microblog.cli.search import search_cli
    from microblog.cli.seed import init_app as init_seed

    app.cli.add_command(posts_cli)
    app.cli.add_command(author_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(doctor_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(comments_cli)
    app.cli.add_command(restore_command)
    app.cli.add_command(fediverse_cli)
    init_seed(app)
