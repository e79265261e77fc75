"""`flask backup FILE` and `flask restore FILE`: the whole blog as one archive, and back.

The work is in `posts/backup.py` and `posts/restore.py`; this module reads the command line,
finds the schema's revisions (Alembic), commits once and says what happened.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from microblog.extensions import db
from microblog.posts.archive_format import ArchiveError


def _media_folder() -> Path | None:
    folder = current_app.config.get("MEDIA_FOLDER")
    return Path(folder) if folder else None


def _known_revision() -> Callable[[str], bool]:
    """Whether a schema revision is one of this program's migrations."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)

    def known(revision: str) -> bool:
        try:
            return script.get_revision(revision) is not None
        except Exception:  # alembic's ResolutionError, CommandError…: not ours
            return False

    return known


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Write one archive of everything the blog holds (FILE, or - for standard output)."""
    import microblog.models  # noqa: F401  (every table registered)
    from microblog.posts.backup import backup, describe

    destination = None if file == "-" else Path(file).resolve()
    stdout = sys.stdout.buffer if destination is None else None
    try:
        result = backup(db.engine, db.metadata, _media_folder(), destination, stdout)
    except (ArchiveError, OSError) as error:
        raise click.ClickException(f"backup failed, nothing written: {error}") from None
    figures = describe(result)
    click.echo(
        f"backup written and verified: {file if destination else 'standard output'}"
        f" ({figures['tables']} tables, {figures['rows']} rows, {figures['media']} media"
        f" files, {_size(figures['bytes'])}, schema {figures['revision']})",
        err=destination is None,
    )


@contextmanager
def _readable(file: str) -> Iterator[str]:
    """A path to read the archive from; standard input is copied to a file first (the
    archive is read twice: checked whole, then restored)."""
    if file != "-":
        yield file
        return
    handle, path = tempfile.mkstemp(prefix="restore-", suffix=".tar.gz")
    try:
        with os.fdopen(handle, "wb") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool, 1024 * 1024)
        yield path
    finally:
        os.unlink(path)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@with_appcontext
def restore_command(file: str) -> None:
    """Restore a backup archive into an empty database (SQLite or PostgreSQL)."""
    import microblog.models  # noqa: F401  (every table registered)
    from microblog.posts.backup import schema_revision
    from microblog.posts.restore import (
        RestoreRefused,
        check_schema,
        check_target,
        checked_manifest,
        has_no_tables,
        restore_rows,
    )

    if file != "-" and not Path(file).is_file():
        raise click.ClickException(f"restore refused, nothing changed: no file {file}")
    known = _known_revision()
    with _readable(file) as path:
        try:
            manifest = checked_manifest(path)
            with db.engine.connect() as connection:
                fresh = has_no_tables(connection, db.metadata)
            archived = manifest.schema_revision
            if fresh and archived and all(known(part) for part in archived.split(",")):
                # A database with no tables at all: create the archive's schema first.
                from flask_migrate import upgrade

                upgrade(revision=archived)
            with db.engine.connect() as connection:
                revision = schema_revision(connection)
            check_schema(manifest, revision, known, db.metadata)
            media_folder = _media_folder()
            check_target(db.session.connection(), db.metadata, media_folder)
            restored = restore_rows(db.session, path, manifest, db.metadata, media_folder)
        except (RestoreRefused, ArchiveError) as error:
            db.session.rollback()
            raise click.ClickException(f"restore refused, nothing changed: {error}") from None
        except SQLAlchemyError as error:
            # Rows the schema refuses (an archive edited by hand): the transaction is undone.
            db.session.rollback()
            raise click.ClickException(
                f"restore failed, nothing changed: the database refused a row ({error.orig!r})"
                if isinstance(error, DBAPIError)
                else f"restore failed, nothing changed: {error}"
            ) from None
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            restored.discard_media()
            raise
        media = restored.publish_media()
    if fresh:
        from flask_migrate import upgrade

        upgrade()
    rows = sum(restored.rows.values())
    click.echo(
        f"restored {rows} rows in {len(restored.rows)} tables and {media} media files"
        f" (backup of {manifest.created_at}, from {manifest.database})",
        err=file == "-",
    )
    if fresh:
        click.echo("schema brought up to date", err=file == "-")
