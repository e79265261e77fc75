"""`flask posts …`: import, delete and export posts."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from microblog.extensions import db

posts_cli = AppGroup("posts", help="Import, delete and export posts.")


@posts_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the database already holds a post.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the posts once imported from under PATHS whose files are gone.",
)
@click.option("--force", is_flag=True, help="Overwrite (or prune) posts edited in the app since.")
@click.option(
    "--example",
    is_flag=True,
    help="PATH is the demo (make run's content/_posts): the next other import removes it.",
)
@click.option(
    "--send-webmentions",
    is_flag=True,
    help="Notify the sites the imported posts link to (with WEBMENTION_SEND); never without.",
)
def import_posts(
    paths: tuple[str, ...],
    dry_run: bool,
    if_empty: bool,
    prune: bool,
    force: bool,
    example: bool,
    send_webmentions: bool,
) -> None:
    """Import Jekyll posts from PATHS: a whole site (a folder holding _config.yml, read as
    `jekyll build` reads it, its files copied into MEDIA_FOLDER), or files and folders of
    posts (searched recursively)."""
    from pathlib import Path

    from microblog.extensions import db
    from microblog.fediverse import delivery as federation
    from microblog.indieweb import sending
    from microblog.jekyll.errors import PostError
    from microblog.jekyll.site import is_site_root, load_site
    from microblog.posts import example as example_posts
    from microblog.posts.importer import database_has_posts, import_paths, import_site
    from microblog.posts.site_settings import current_site_settings

    if if_empty and database_has_posts():
        click.echo("nothing imported: the database already holds posts (--if-empty)")
        return
    # The configuration, with the permalink style a whole-site import stored.
    settings = current_site_settings(current_app.config)
    sites = [Path(path) for path in paths if is_site_root(Path(path))]
    if sites and len(paths) > 1:
        raise click.UsageError(f"import the site {sites[0]} on its own (one SITE_ROOT per run)")
    # An archive links to years of other sites: importing it is not news to them.
    db.session.info[sending.QUIET] = not send_webmentions
    # Nor to the fediverse: followers would get the whole archive as new posts.
    db.session.info[federation.QUIET] = True
    progress = ImportProgress()
    with progress:
        if sites:
            try:
                site = load_site(sites[0], settings)
                check_zone(site.settings, "_config.yml's timezone")
            except PostError as exc:
                raise click.UsageError(str(exc)) from exc
            check_zone(settings)
            if site.settings.zone != settings.zone:
                click.echo(
                    f"note: _config.yml's timezone is {site.settings.timezone}, TIMEZONE is "
                    f"{settings.timezone}: posts are dated as Jekyll dates them, but pages "
                    f"show their dates in {settings.timezone}, so a post's day may differ "
                    f"from its URL's; set TIMEZONE={site.settings.timezone}"
                )
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
    if not dry_run:
        instance = Path(current_app.instance_path)
        database = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if example:
            example_posts.remember_demo(instance, database, Path(paths[0]))
        else:
            removed = example_posts.remove_demo(instance, database)
            db.session.commit()
            for permalink in removed:
                click.echo(f"removed: {permalink} (the example post of a fresh clone)")
    click.echo(report.summary())
    comments_failed = bool(sites) and import_site_comments(sites[0], dry_run)
    if report.failed or comments_failed:
        click.get_current_context().exit(1)


def import_site_comments(root: Any, dry_run: bool) -> bool:
    """A whole site's Staticman comments (`_data/comments/`), onto the posts just imported;
    True when some file of them failed."""
    from microblog.comments.imports.matching import PostFinder
    from microblog.comments.imports.staticman import comments_folder, read_staticman
    from microblog.comments.imports.storing import CommentStore

    folder = comments_folder(root)
    if folder is None:
        return False
    if dry_run:
        found = read_staticman([folder])
        click.echo(f"comments: {len(found.comments)} in {folder} would be imported")
        return False
    store = CommentStore(PostFinder(), str(current_app.config.get("SANITIZER") or "bleach"))
    try:
        outcome = store.store(read_staticman([folder]))
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    for line in outcome.lines:
        click.echo(f"comments: {line}")
    click.echo(f"comments: {outcome.summary()}")
    return outcome.skipped > 0


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
    from microblog.extensions import db
    from microblog.posts.deletion import find_posts, remove_posts

    found, missing = find_posts(permalinks)
    for permalink in missing:
        click.echo(f"not found: {permalink}: no post has this permalink", err=True)
    if missing:
        raise click.ClickException("nothing was deleted")
    for post, comments in found:
        click.echo(f"{post.permalink}: {post.title!r}, {comments} comment(s)")
    if not yes:
        click.confirm(f"Delete {len(found)} post(s) and their comments for good?", abort=True)
    removed = remove_posts([post for post, _ in found])
    db.session.commit()
    for post, comments in removed:
        click.echo(f"removed: {post.permalink} ({comments} comment(s))")


@posts_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--private",
    is_flag=True,
    help="Also write commenters' email and network addresses (never without: an export "
    "may be published as a Jekyll site).",
)
def export_posts(folder: str, private: bool) -> None:
    """Write the whole blog as a Jekyll site into FOLDER (new or empty): _config.yml, every
    post and draft at its address, approved comments as Staticman data files, and the
    media files; `flask posts import FOLDER` into an empty database gives it back."""
    from pathlib import Path

    from microblog.posts.exporter import ExportedFile, ExportRefused, export_site
    from microblog.posts.site_settings import current_site_settings

    config = current_app.config

    def show(exported: ExportedFile) -> None:
        if exported.kind == "posts":
            click.echo(f"exported: {exported.path}")

    try:
        report = export_site(
            Path(folder),
            current_site_settings(config),
            config,
            private=private,
            media_folder=Path(config["MEDIA_FOLDER"]),
            on_file=show,
        )
    except ExportRefused as exc:
        raise click.ClickException(f"nothing exported: {exc}") from exc
    for note in report.notes:
        click.echo(note)
    click.echo(report.summary(Path(folder)))
