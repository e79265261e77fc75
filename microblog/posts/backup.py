"""`flask backup`: everything the blog holds, as one archive, from one consistent snapshot.

Every table the models declare (`metadata.sorted_tables`) is written, so a table added later
is in the next backup without a line changed here. A table that only holds what can be
rebuilt from the others may say `info={"backup": False}` to be left out.

The snapshot: all tables are read in one read-only transaction. PostgreSQL's REPEATABLE READ
gives every statement of it the same snapshot (what `pg_dump` does); on SQLite, a read
transaction begun explicitly keeps the WAL snapshot of its first read until it ends, while
readers' comments and the writer's imports commit beside it.

The archive is written to a temporary file, then read back whole and checked against its
manifest (`archive_format.verify`), and only then moved to where it was asked to go.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, MetaData, Table, inspect, select, text
from sqlalchemy.engine import Connection

from microblog.posts.archive_format import (
    CHUNK,
    MANIFEST,
    MEDIA,
    TABLES,
    ArchiveError,
    FileEntry,
    Manifest,
    json_line,
    row_codec,
    verify,
    write_member,
)
from microblog.timeutil import now_utc

STREAM_ROWS = 2000
COMPRESS_LEVEL = 5


@dataclass
class BackupResult:
    """What a finished (and verified) backup holds."""

    manifest: Manifest
    size: int


def backed_up_tables(metadata: MetaData) -> list[Table]:
    """Every table of the models in an order that satisfies their foreign keys."""
    return [table for table in metadata.sorted_tables if table.info.get("backup", True)]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose every read sees the database as it was at one moment."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with connection.begin():
                yield connection
            return
        if engine.dialect.name == "sqlite":
            # pysqlite begins no transaction before a SELECT: each read would see its own
            # moment. An explicit BEGIN makes them one read transaction (one WAL snapshot).
            connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.rollback()
            return
        connection = connection.execution_options(isolation_level="SERIALIZABLE")
        with connection.begin():
            yield connection


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at (None if it was never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    found = sorted(str(version) for version in versions)
    return ",".join(found) or None


def _spool_table(connection: Connection, table: Table, spool: IO[bytes]) -> FileEntry:
    """Write `table`'s rows as JSON lines into `spool`; returns what the manifest records."""
    columns = [column.name for column in table.columns]
    encode = row_codec(table, columns, decode=False)
    digest = hashlib.sha256()
    rows = size = 0
    statement = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=STREAM_ROWS).execute(statement)
    for row in result.mappings():
        line = json_line(encode(row))
        spool.write(line)
        digest.update(line)
        rows += 1
        size += len(line)
    return FileEntry(
        path=f"{TABLES}{table.name}.jsonl",
        sha256=digest.hexdigest(),
        size=size,
        rows=rows,
        columns=columns,
    )


def media_files(folder: Path | None) -> Iterator[tuple[str, Path]]:
    """Each regular file under `folder`, with its path inside the archive."""
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield MEDIA + path.relative_to(folder).as_posix(), path


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_archive(
    engine: Engine, metadata: MetaData, media_folder: Path | None, target: IO[bytes]
) -> Manifest:
    """Take the snapshot and write the archive into `target` (a file open for writing)."""
    spools: list[tuple[FileEntry, IO[bytes]]] = []
    try:
        with snapshot(engine) as connection:
            manifest = Manifest(
                schema_revision=schema_revision(connection),
                created_at=now_utc().isoformat(),
                database=engine.dialect.name,
            )
            for table in backed_up_tables(metadata):
                spool: IO[bytes] = tempfile.TemporaryFile()
                entry = _spool_table(connection, table, spool)
                spools.append((entry, spool))
                manifest.tables[table.name] = entry
        found_media = list(media_files(media_folder))
        for name, path in found_media:
            sha256, size = _hash_file(path)
            manifest.media.append(FileEntry(path=name, sha256=sha256, size=size))

        with tarfile.open(fileobj=target, mode="w:gz", compresslevel=COMPRESS_LEVEL) as archive:
            head = json.dumps(manifest.as_json(), indent=1, ensure_ascii=False).encode("utf-8")
            write_member(archive, MANIFEST, io.BytesIO(head), len(head))
            for entry, table_file in spools:
                write_member(archive, entry.path, table_file, entry.size)
            for (name, path), entry in zip(found_media, manifest.media, strict=True):
                with path.open("rb") as handle:
                    write_member(archive, name, handle, entry.size)
        return manifest
    finally:
        for _entry, table_file in spools:
            table_file.close()


def backup(
    engine: Engine,
    metadata: MetaData,
    media_folder: Path | None,
    destination: Path | None,
    stdout: IO[bytes] | None = None,
) -> BackupResult:
    """Write a verified archive to `destination` (or, when None, to `stdout`).

    The archive is checked by reading it back before it replaces `destination` or is copied
    out; a backup that fails leaves no file behind.
    """
    folder = destination.parent if destination is not None else None
    handle, temporary = tempfile.mkstemp(prefix=".backup-", suffix=".tar.gz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as target:
            manifest = write_archive(engine, metadata, media_folder, target)
            target.flush()
            os.fsync(target.fileno())
        try:
            verify(temporary)
        except ArchiveError as error:
            raise ArchiveError(f"the archive did not read back as written: {error}") from None
        size = os.path.getsize(temporary)
        if destination is not None:
            os.replace(temporary, destination)
        else:
            assert stdout is not None
            with open(temporary, "rb") as written:
                shutil.copyfileobj(written, stdout, CHUNK)
            stdout.flush()
        return BackupResult(manifest=manifest, size=size)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def describe(result: BackupResult) -> dict[str, Any]:
    """Figures for the operator: tables, rows, media files, bytes."""
    manifest = result.manifest
    return {
        "tables": len(manifest.tables),
        "rows": manifest.row_count,
        "media": len(manifest.media),
        "bytes": result.size,
        "revision": manifest.schema_revision,
    }
