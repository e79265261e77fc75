"""What every comment format is read into, before any post is looked up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from microblog.models import CommentStatus


class ImportFileError(ValueError):
    """A file that cannot be imported at all; the message says why (for the author)."""


@dataclass
class SourceThread:
    """A page that comments were written on, as the source knew it."""

    key: str
    links: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    title: str = ""

    def describe(self) -> str:
        """How a report line names the thread."""
        named = (self.links or self.identifiers or [self.key])[0]
        return f"{named} ({self.title})" if self.title else named


@dataclass
class SourceComment:
    """One comment as the source kept it (text not yet sanitised)."""

    key: str  # stable across exports: what makes a second import add nothing
    thread: str
    parent: str | None
    name: str
    email: str
    url: str
    remote_addr: str
    created_at: datetime | None
    status: CommentStatus
    text: str
    markup: str  # "html" or "markdown"
    kind: str = "comment"  # or pingback, trackback
    # When it was last moderated (approved), if the source says (`flask posts export`'s
    # `approved_at`); else its time.
    changed_at: datetime | None = None


@dataclass
class SourceExport:
    """A whole file (or folder) of comments."""

    format: str
    threads: dict[str, SourceThread] = field(default_factory=dict)
    comments: list[SourceComment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
