"""The author's commands: `flask posts …`, `flask author …`."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

posts_cli = AppGroup("posts", help="Import, delete and export posts.")
author_cli = AppGroup("author", help="Manage the author's account.")


@posts_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a post.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the posts once imported from under PATHS whose files are gone.",
)
@click.option("--force", is_flag=True, help="Overwrite (or prune) posts edited in the app since.")
def import_posts(
    paths: tuple[str, ...], dry_run: bool, if_empty: bool, prune: bool, force: bool
) -> None:
    """Import Jekyll posts from PATHS: a whole site (a folder holding _config.yml, read as
    `jekyll build` reads it, its files copied into MEDIA_FOLDER), or files and folders of
    posts (searched recursively)."""
    from pathlib import Path

    from .content.errors import PostError
    from .content.importer import database_has_posts, import_paths, import_site
    from .content.settings import SiteSettings
    from .content.site import is_site_root, load_site

    if if_empty and database_has_posts():
        click.echo("nothing imported: the database already holds posts (--if-empty)")
        return
    settings = SiteSettings.from_config(current_app.config)
    sites = [Path(path) for path in paths if is_site_root(Path(path))]
    if sites and len(paths) > 1:
        raise click.UsageError(f"import the site {sites[0]} on its own (one SITE_ROOT per run)")
    progress = ImportProgress()
    with progress:
        if sites:
            try:
                site = load_site(sites[0], settings)
                check_zone(site.settings, "_config.yml's timezone")
            except PostError as exc:
                raise click.UsageError(str(exc)) from exc
            media = Path(current_app.config["MEDIA_FOLDER"])
            report = import_site(
                site,
                media_folder=media,
                dry_run=dry_run,
                force=force,
                prune=prune,
                on_result=progress.show,
                on_start=progress.start,
            )
        else:
            check_zone(settings)
            report = import_paths(
                paths,
                settings,
                dry_run=dry_run,
                force=force,
                prune=prune,
                on_result=progress.show,
                on_start=progress.start,
            )
    for note in report.notes:
        click.echo(note)
    for line in report.refusals():
        click.echo(line)
    click.echo(report.summary())
    if report.failed:
        click.get_current_context().exit(1)


def check_zone(settings: Any, where: str = "TIMEZONE") -> None:
    """Fail before the first file on an unknown zone (TIMEZONE or _config.yml's timezone)."""
    try:
        settings.zone  # noqa: B018
    except (ValueError, KeyError) as exc:
        raise click.UsageError(f"{where} {settings.timezone!r} is not a known zone") from exc


class ImportProgress:
    """The per-file lines, and on a terminal click's progress bar (count and time left)
    kept below them."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.terminal = sys.stdout.isatty()

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None

    def start(self, total: int) -> None:
        if self.terminal and total > 1:
            self.bar = click.progressbar(
                length=total, label="importing", show_pos=True, show_eta=True
            )
            self.bar.render_progress()

    def show(self, result: Any) -> None:
        if self.bar is not None:
            click.echo("\r\x1b[K", nl=False)  # clear the bar's line, write above it
        for line in result.lines():
            click.echo(line)
        if self.bar is not None and result.status != "removed":
            self.bar.update(1)


@posts_cli.command("delete")
@click.argument("permalinks", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
def delete_posts(permalinks: tuple[str, ...], yes: bool) -> None:
    """Delete the posts at PERMALINKS, with their comments (asks first unless --yes)."""
    from .content.deletion import find_posts, remove_posts

    found, missing = find_posts(permalinks)
    for permalink in missing:
        click.echo(f"not found: {permalink}: no post has this permalink", err=True)
    if missing:
        raise click.ClickException("nothing was deleted")
    for post, comments in found:
        click.echo(f"{post.permalink}: {post.title!r}, {comments} comment(s)")
    if not yes:
        click.confirm(f"Delete {len(found)} post(s) and their comments for good?", abort=True)
    for post, comments in remove_posts([post for post, _ in found]):
        click.echo(f"removed: {post.permalink} ({comments} comment(s))")


@posts_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, writable=True))
def export_posts(folder: str) -> None:
    """Write every post (drafts and scheduled ones too) as Jekyll files under FOLDER."""
    from pathlib import Path

    from .content.exporter import export_to_folder
    from .content.settings import SiteSettings

    written = export_to_folder(Path(folder), SiteSettings.from_config(current_app.config))
    for exported in written:
        click.echo(f"exported: {exported.path}")
    click.echo(f"{len(written)} posts exported to {folder}")


def read_password(password_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice at the terminal."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def find_author_or_fail(username: str):
    """The author named `username`, or a clear error."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Author

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

    from .accounts import credential_problem
    from .extensions import db
    from .models import Author

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
        # Resetting access ends the signed-in sessions too (a copied cookie included).
        author.end_sessions()
        db.session.commit()
        click.echo(
            f"revoked {count} token{'' if count == 1 else 's'} of {author.username}; "
            "every session of theirs has ended"
        )
        return
    token = access_tokens.issue(author)
    db.session.commit()
    click.echo(token)
    click.echo(
        f"This is {author.username}'s new Micropub token (scopes: create update delete). "
        "It is shown only now; `flask author token --revoke-all` voids it.",
        err=True,
    )


@author_cli.command("feed-url")
@click.argument("username")
@click.option("--rotate", is_flag=True, help="Make a new URL; every older one stops working.")
def author_feed_url(username: str, rotate: bool) -> None:
    """Print the secret URL of USERNAME's private feed of comments waiting for moderation."""
    from sqlalchemy import select

    from . import notify
    from .extensions import db
    from .models import Author

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
        "Keep it secret: it shows the queue and its action links to anyone who has it.", err=True
    )


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


@click.group("jobs", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs_cli(ctx: click.Context) -> None:
    """What waits in the background queue (mail, pings): `flask jobs`; run it: `run --once`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(jobs_status)


@jobs_cli.command("status")
def jobs_status() -> None:
    """Counts by kind and state, the oldest waiting job, the last errors."""
    from . import jobs

    found = jobs.report()
    states = ["waiting", "running", "done", "failed"]
    if not found.counts:
        click.echo("The queue is empty.")
    else:
        width = max(len(kind) for kind in found.counts) + 2
        click.echo("kind".ljust(width) + "".join(state.rjust(9) for state in states))
        for kind, counts in sorted(found.counts.items()):
            numbers = "".join(str(counts.get(state, 0)).rjust(9) for state in states)
            click.echo(kind.ljust(width) + numbers)
    oldest = found.oldest_waiting
    if oldest is not None:
        retry = (
            f", attempt {oldest.attempts + 1} of {oldest.max_attempts}" if oldest.attempts else ""
        )
        click.echo(
            f"oldest waiting: job {oldest.id} {oldest.kind}, queued {_when(oldest.created_at)},"
            f" due {_when(oldest.due_at)}{retry}"
        )
    if found.errors:
        click.echo("last errors:")
        for job in found.errors:
            click.echo(
                f"  job {job.id} {job.kind} ({job.state.value}, {job.attempts} attempts):"
                f" {job.last_error}"
            )


@jobs_cli.command("run")
@click.option("--once", is_flag=True, required=True, help="Run what is due now, then exit.")
def jobs_run(once: bool) -> None:
    """Run the jobs due now and exit (non-zero when one failed)."""
    from . import jobs

    ran = jobs.run_due(current_app._get_current_object())  # type: ignore[attr-defined]
    for job in ran:
        click.echo(f"job {job.id} {job.kind}: {'done' if job.ok else 'failed (see flask jobs)'}")
    failed = sum(1 for job in ran if not job.ok)
    click.echo(f"{len(ran)} jobs run, {failed} failed")
    if failed:
        click.get_current_context().exit(1)


@jobs_cli.command("worker")
def jobs_worker() -> None:
    """Run jobs until stopped (Ctrl-C, SIGTERM): for a site that runs them apart from the web
    processes (then set JOBS_RUNNER=0 for those)."""
    import signal

    from .job_runner import Runner

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = Runner(app)

    def stop(*_args) -> None:
        runner.stopping.set()
        runner.wake.set()

    signal.signal(signal.SIGTERM, stop)
    click.echo("running jobs; Ctrl-C stops")
    try:
        runner.loop()
    except KeyboardInterrupt:
        pass


@jobs_cli.command("retry")
def jobs_retry() -> None:
    """Put every failed job back in the queue with a fresh set of attempts."""
    from . import jobs

    click.echo(f"{jobs.retry_failed()} failed jobs queued again")


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    from . import cli_sessions  # noqa: F401 (adds `author password` and `author sign-out`)

    app.cli.add_command(posts_cli)
    app.cli.add_command(author_cli)
    app.cli.add_command(jobs_cli)


__all__ = ["click", "posts_cli", "author_cli", "jobs_cli", "init_app"]
