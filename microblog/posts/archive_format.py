"""The backup archive's format, shared by the writer (`backup.py`) and `restore.py`.

An archive is a gzip-compressed tar:

    manifest.json                 written first: format, schema revision, every file's
                                  SHA-256 and size, every table's row count and columns
    tables/<table>.jsonl          one JSON object per row, ordered by primary key
    media/<path>                  the files of MEDIA_FOLDER, at their paths

Values are written by column type, not by database, so an archive taken on SQLite restores
on PostgreSQL and back: timestamps as ISO 8601 (with their offset when the column keeps
one), booleans as JSON booleans, JSON columns as JSON, enums by member name, bytes as base64.

`verify(path)` reads a whole archive back and checks it against its manifest: the writer
calls it before it says the backup succeeded, and restore calls it before it changes anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import tarfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Interval,
    LargeBinary,
    Numeric,
    Table,
    Time,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.types import TypeEngine

FORMAT = "microblog-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables/"
MEDIA = "media/"
# A manifest larger than this is no manifest of ours (it is read whole, before anything else).
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024

Encoder = Callable[[Any], Any]


class ArchiveError(Exception):
    """The archive cannot be used; the message says why (damaged, cut short, not ours…)."""


@dataclass
class FileEntry:
    """One file of the archive as the manifest records it."""

    path: str
    sha256: str
    size: int
    rows: int | None = None  # tables only
    columns: list[str] = field(default_factory=list)  # tables only

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "size": self.size}
        if self.rows is not None:
            entry["rows"] = self.rows
            entry["columns"] = self.columns
        return entry


@dataclass
class Manifest:
    """What an archive holds and how to check it."""

    schema_revision: str | None
    created_at: str
    database: str
    tables: dict[str, FileEntry] = field(default_factory=dict)  # table name → its file
    media: list[FileEntry] = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at,
            "database": self.database,
            "tables": {name: entry.as_json() for name, entry in self.tables.items()},
            "media": [entry.as_json() for entry in self.media],
        }

    @property
    def files(self) -> dict[str, FileEntry]:
        """Every file the archive must hold besides the manifest, by its path."""
        found = {entry.path: entry for entry in self.tables.values()}
        found.update((entry.path, entry) for entry in self.media)
        return found

    @property
    def row_count(self) -> int:
        return sum(entry.rows or 0 for entry in self.tables.values())

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Read a manifest, refusing anything that is not one of ours or too new."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ArchiveError("not a microblog backup (its manifest names no microblog format)")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ArchiveError(
                f"archive format {version!r} is newer than this program reads"
                f" ({FORMAT_VERSION}); restore it with a newer microblog"
            )
        try:
            tables = {
                str(name): _entry(raw, table=True) for name, raw in dict(data["tables"]).items()
            }
            media = [_entry(raw, table=False) for raw in list(data["media"])]
            manifest = cls(
                schema_revision=data.get("schema_revision"),
                created_at=str(data["created_at"]),
                database=str(data["database"]),
                tables=tables,
                media=media,
                format_version=version,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ArchiveError(f"the manifest is damaged ({error!r})") from None
        for path in manifest.files:
            safe_member_path(path)
        return manifest


def _entry(raw: Any, table: bool) -> FileEntry:
    entry = FileEntry(path=str(raw["path"]), sha256=str(raw["sha256"]), size=int(raw["size"]))
    if table:
        entry.rows = int(raw["rows"])
        entry.columns = [str(name) for name in raw["columns"]]
    return entry


def safe_member_path(path: str) -> PurePosixPath:
    """`path` as a relative path inside the archive; refuses `..`, absolute paths and the like."""
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or ".." in pure.parts
        or len(pure.parts) < 2
        or not (path.startswith(TABLES) or path.startswith(MEDIA))
        or "\\" in path
        or "\x00" in path
    ):
        raise ArchiveError(f"the archive names an unsafe path: {path!r}")
    return pure


# ---------------------------------------------------------------------------- values


def _base_type(column: Column[Any]) -> TypeEngine[Any]:
    kind: TypeEngine[Any] = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def _identity(value: Any) -> Any:
    return value


def codecs(column: Column[Any]) -> tuple[Encoder, Encoder]:
    """How a column's Python value is written into the archive, and read back."""
    kind = _base_type(column)
    if isinstance(kind, JSON):
        return _identity, _identity
    if isinstance(kind, Enum):
        enum_class = kind.enum_class
        if enum_class is not None:
            return (lambda value: value.name), (lambda name: enum_class[name])
        return _identity, _identity
    if isinstance(kind, Boolean):
        return bool, bool
    if isinstance(kind, DateTime):
        return (lambda value: value.isoformat()), dt.datetime.fromisoformat
    if isinstance(kind, Date):
        return (lambda value: value.isoformat()), dt.date.fromisoformat
    if isinstance(kind, Time):
        return (lambda value: value.isoformat()), dt.time.fromisoformat
    if isinstance(kind, Interval):
        return (lambda value: value.total_seconds()), (lambda s: dt.timedelta(seconds=s))
    if isinstance(kind, LargeBinary):
        return (lambda value: base64.b64encode(bytes(value)).decode("ascii")), base64.b64decode
    if isinstance(kind, Uuid):
        return str, uuid.UUID
    if isinstance(kind, Numeric) and getattr(kind, "asdecimal", False):
        return str, decimal.Decimal
    return _identity, _identity


def row_codec(table: Table, columns: list[str], decode: bool) -> Callable[[Any], dict[str, Any]]:
    """A function from a row (a mapping of column name → value) to the other side's form."""
    pairs = [(name, codecs(table.c[name])[1 if decode else 0]) for name in columns]

    def convert(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, codec in pairs:
            value = row[name]
            out[name] = None if value is None else codec(value)
        return out

    return convert


def json_line(row: dict[str, Any]) -> bytes:
    """One row as one line of JSON."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# ---------------------------------------------------------------------------- reading


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[bytes]:
    handle = archive.extractfile(member)
    if handle is None:
        raise ArchiveError(f"{member.name} is not a regular file")
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def open_archive(path: str) -> tarfile.TarFile:
    """The archive at `path` opened for one pass in order (stdin spooled to a file first)."""
    try:
        return tarfile.open(path, mode="r|gz")
    except (tarfile.TarError, OSError, EOFError) as error:
        if isinstance(error.__cause__, zlib.error):
            # A gzip whose deflate data breaks in its first block: a damaged archive (the
            # same file damaged further on is reported so by the later reads).
            raise ArchiveError(f"the archive is damaged or cut short ({error})") from None
        raise ArchiveError(f"not a readable backup archive ({error})") from None


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    """The manifest, which must be the archive's first member."""
    try:
        member = archive.next()
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        raise ArchiveError(f"the archive is damaged or cut short ({error})") from None
    if member is None or member.name != MANIFEST:
        raise ArchiveError("not a microblog backup (it does not begin with manifest.json)")
    if member.size > MANIFEST_MAX_BYTES:
        raise ArchiveError("the manifest is too large to be one of ours")
    try:
        data = b"".join(_read_member(archive, member))
        return Manifest.from_json(json.loads(data))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ArchiveError(f"the archive is damaged or cut short ({error})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ArchiveError(f"the manifest is damaged ({error})") from None


def members(
    archive: tarfile.TarFile, manifest: Manifest
) -> Iterator[tuple[FileEntry, Iterator[bytes]]]:
    """Each file after the manifest, with its content as chunks, hashed as it is read.

    Raises ArchiveError once a file's bytes differ from what the manifest says, a file is
    missing or unknown, or the archive ends early.
    """
    expected = manifest.files
    seen: set[str] = set()
    while True:
        try:
            member = archive.next()
        except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as error:
            raise ArchiveError(f"the archive is damaged or cut short ({error})") from None
        if member is None:
            break
        entry = expected.get(member.name)
        if entry is None or member.name in seen:
            raise ArchiveError(
                "the archive is damaged: it holds a file its manifest does not list"
                f" ({member.name})"
            )
        seen.add(member.name)
        yield entry, _checked(archive, member, entry)
    missing = sorted(set(expected) - seen)
    if missing:
        raise ArchiveError(
            f"the archive is damaged or cut short: {len(missing)} files its manifest lists are"
            " missing"
            f" (first {missing[0]})"
        )


def _checked(
    archive: tarfile.TarFile, member: tarfile.TarInfo, entry: FileEntry
) -> Iterator[bytes]:
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in _read_member(archive, member):
            digest.update(chunk)
            size += len(chunk)
            yield chunk
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ArchiveError(
            f"the archive is damaged or cut short in {entry.path} ({error})"
        ) from None
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise ArchiveError(f"{entry.path} is damaged: its checksum differs from the manifest's")


def lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The lines of a file given in chunks (without their newline)."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *complete, rest = rest.split(b"\n")
        yield from complete
    if rest:
        yield rest


def verify(path: str) -> Manifest:
    """Read the whole archive at `path` back: every file's checksum and size, every table's
    row count. Returns its manifest; raises ArchiveError saying what is wrong."""
    with open_archive(path) as archive:
        manifest = read_manifest(archive)
        for entry, chunks in members(archive, manifest):
            if entry.rows is None:
                for _chunk in chunks:
                    pass
                continue
            count = 0
            for line in lines(chunks):
                if line:
                    count += 1
            if count != entry.rows:
                raise ArchiveError(
                    f"{entry.path} holds {count} rows where the manifest says {entry.rows}"
                )
    return manifest


def write_member(archive: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> None:
    """Add `size` bytes from `handle` to `archive` as the file `name`."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = 0
    handle.seek(0)
    archive.addfile(info, handle)
