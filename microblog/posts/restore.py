"""`flask restore`: a backup archive into an empty database, SQLite or PostgreSQL.

Everything that could refuse is checked before anything changes: the whole archive is read
back against its manifest (checksums, sizes, row counts), its schema revision must be the
database's (an unknown one is a newer schema), its tables and columns must be the models',
and the database must hold nothing (tables marked `info={"backup": "replace"}`, such as the
site's one counter row the migrations create, do not count and are replaced). Then the rows
go in, in one transaction the caller commits, table by table in foreign-key order; media
files are unpacked into a staging folder beside MEDIA_FOLDER and moved in once the
transaction committed (`Restored.publish_media`).

Ids are inserted as they were, so PostgreSQL's sequences are moved past the largest id of
each table afterwards (else the next comment would clash with a restored one).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, exists, insert, inspect, select, text, update
from sqlalchemy.engine import Connection

from microblog.models import Post, SiteState
from microblog.posts import related
from microblog.posts.archive_format import (
    MEDIA,
    ArchiveError,
    FileEntry,
    Manifest,
    lines,
    members,
    open_archive,
    read_manifest,
    row_codec,
    safe_member_path,
    verify,
)
from microblog.posts.backup import backed_up_tables
from microblog.posts.index import SessionLike
from microblog.search import index as search_index

BATCH = 1000
REPLACE = "replace"


class RestoreRefused(Exception):
    """The restore was refused before anything changed; the message says why."""


@dataclass
class Restored:
    """What a restore put in (the caller commits, then publishes the media)."""

    manifest: Manifest
    rows: dict[str, int] = field(default_factory=dict)
    staging: Path | None = None
    media_folder: Path | None = None

    def publish_media(self) -> int:
        """Move the unpacked media files into MEDIA_FOLDER (after the commit)."""
        if self.staging is None or self.media_folder is None:
            return 0
        moved = 0
        for source in sorted(self.staging.rglob("*")):
            if source.is_file():
                target = self.media_folder / source.relative_to(self.staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                moved += 1
        self.discard_media()
        return moved

    def discard_media(self) -> None:
        """Remove the staging folder (the restore failed, or its files were moved)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


def _holds_rows(connection: Connection, table: Table) -> bool:
    return bool(connection.execute(select(exists().select_from(table))).scalar())


def is_empty(connection: Connection, metadata: MetaData) -> str | None:
    """None when the database holds no content; else the first table that holds some."""
    for table in backed_up_tables(metadata):
        if table.info.get("backup") == REPLACE:
            continue
        if _holds_rows(connection, table):
            return table.name
    return None


def has_no_tables(connection: Connection, metadata: MetaData) -> bool:
    """Whether the database was never migrated (no tables of ours, no Alembic version)."""
    names = set(inspect(connection).get_table_names())
    return not names & ({table.name for table in metadata.tables.values()} | {"alembic_version"})


def check_schema(
    manifest: Manifest, revision: str | None, known: Callable[[str], bool], metadata: MetaData
) -> None:
    """Refuse an archive from another schema than the database's."""
    archived = manifest.schema_revision
    if archived and not all(known(part) for part in archived.split(",")):
        raise RestoreRefused(
            f"the archive was made by a newer microblog: its schema revision {archived} is"
            " unknown here; upgrade microblog first, then restore"
        )
    if archived != revision:
        raise RestoreRefused(
            f"the archive's schema revision is {archived}, this database's is {revision};"
            " restore into a database with no tables (restore then creates the schema)"
        )
    for name, entry in manifest.tables.items():
        table = metadata.tables.get(name)
        if table is None:
            raise RestoreRefused(f"the archive holds a table this schema lacks: {name}")
        unknown = [column for column in entry.columns if column not in table.c]
        if unknown:
            raise RestoreRefused(f"the archive's table {name} has unknown columns: {unknown}")


def check_target(connection: Connection, metadata: MetaData, media_folder: Path | None) -> None:
    """Refuse a database (or media folder) that holds anything."""
    holding = is_empty(connection, metadata)
    if holding is not None:
        raise RestoreRefused(
            f"the database is not empty (table {holding} holds rows); restore only into an"
            " empty database, so nothing of another blog is mixed in or lost"
        )
    if media_folder is not None and media_folder.is_dir():
        if any(path.is_file() for path in media_folder.rglob("*")):
            raise RestoreRefused(f"the media folder {media_folder} already holds files")


def _self_references(table: Table) -> list[str]:
    """Columns of `table` that point at `table` itself (a reply's parent comment)."""
    return [
        key.parent.name
        for key in table.foreign_keys
        if key.column.table is table and len(table.primary_key.columns) == 1
    ]


def _insert_rows(
    session: SessionLike, table: Table, entry: FileEntry, chunks: Iterator[bytes]
) -> int:
    """Insert one table's rows, in batches; a row pointing at a row of the same table not yet
    inserted gets that link afterwards (so the order of the file does not matter)."""
    decode = row_codec(table, entry.columns, decode=True)
    self_refs = _self_references(table)
    key = table.primary_key.columns[0].name if self_refs else ""
    seen: set[Any] = set()
    later: list[tuple[Any, str, Any]] = []
    batch: list[dict[str, Any]] = []
    count = 0
    for line in lines(chunks):
        if not line:
            continue
        try:
            row = decode(json.loads(line))
        except (ValueError, KeyError, TypeError) as error:
            raise ArchiveError(f"a row of {entry.path} cannot be read: {error}") from None
        for column in self_refs:
            target = row[column]
            if target is not None and target not in seen:
                later.append((row[key], column, target))
                row[column] = None
        if self_refs:
            seen.add(row[key])
        batch.append(row)
        count += 1
        if len(batch) >= BATCH:
            session.execute(insert(table), batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)
    primary = table.c[key] if key else None
    for row_id, column, target in later:
        assert primary is not None
        session.execute(update(table).where(primary == row_id).values({column: target}))
    return count


def reset_sequences(session: SessionLike, tables: list[Table]) -> None:
    """On PostgreSQL, move each id sequence past the largest id restored."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            quoted_table = connection.dialect.identifier_preparer.format_table(table)
            quoted_column = connection.dialect.identifier_preparer.quote(column.name)
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quoted_column}), 1),"
                    f" MAX({quoted_column}) IS NOT NULL) FROM {quoted_table}"
                ),
                {"sequence": sequence},
            )


def checked_manifest(path: str) -> Manifest:
    """The archive's manifest, once every byte of the archive was checked."""
    try:
        return verify(path)
    except ArchiveError as error:
        raise RestoreRefused(f"the archive is unusable: {error}") from None


def restore_rows(
    session: SessionLike,
    path: str,
    manifest: Manifest,
    metadata: MetaData,
    media_folder: Path | None,
) -> Restored:
    """Put the archive's rows in the session's transaction and its media in a staging
    folder. The caller checked the schema and the target, and commits."""
    restored = Restored(manifest=manifest, media_folder=media_folder)
    tables = metadata.tables
    generation_before = SiteState.current_generation()
    for table in backed_up_tables(metadata):
        if table.info.get("backup") == REPLACE:
            session.execute(table.delete())
    if manifest.media and media_folder is not None:
        media_folder.parent.mkdir(parents=True, exist_ok=True)
        restored.staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=media_folder.parent))
    by_path = {entry.path: name for name, entry in manifest.tables.items()}
    try:
        with open_archive(path) as archive:
            read_manifest(archive)
            for entry, chunks in members(archive, manifest):
                if entry.rows is not None:
                    table = tables[by_path[entry.path]]
                    restored.rows[table.name] = _insert_rows(session, table, entry, chunks)
                elif restored.staging is not None:
                    relative = safe_member_path(entry.path).relative_to(MEDIA.rstrip("/"))
                    target = restored.staging / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with target.open("wb") as handle:
                        for chunk in chunks:
                            handle.write(chunk)
                else:
                    for _chunk in chunks:
                        pass
        reset_sequences(session, [tables[name] for name in manifest.tables])
        # The search index is derived from the posts, not archived: made again here (a
        # schema older than search gets it filled by its migration instead).
        if inspect(session.connection()).has_table("post_search"):
            search_index.rebuild(session)
        if inspect(session.connection()).has_table("related_posts"):
            related.refresh(session, list(session.execute(select(Post.id)).scalars()))
        # Pages cached of the empty blog must go stale, while the restored blog keeps its
        # own `changed_at` (the feeds' updated date): the counter moves on, nothing else.
        SiteState.advance_past(generation_before)
    except BaseException:
        restored.discard_media()
        raise
    return restored
