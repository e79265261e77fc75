"""What goes wrong on the way to a stored post, each error carrying the reason to show."""

from __future__ import annotations


class NotAPost(Exception):
    """A file Jekyll would not treat as a post: reported as skipped, with the reason."""


class PostError(Exception):
    """A post that cannot be imported as written: reported as failed, with the reason."""


class PostRejected(Exception):
    """A post the writer will not store as given: the message says why, `field` names the
    form field at fault (`permalink`, `title`, `body`, …) and `kind` what went wrong:
    `invalid` (fix the field), `conflict` (another post holds it), `not_found`, `stale`."""

    kind = "invalid"

    def __init__(self, message: str, *, field: str = "body", kind: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if kind is not None:
            self.kind = kind


class PostNotFound(PostRejected):
    """No post has that id (or permalink)."""

    kind = "not_found"


class VersionConflict(PostRejected):
    """The post changed since the version the save was based on."""

    kind = "stale"

    def __init__(self, current_version: int, expected: int) -> None:
        super().__init__(
            f"the post was changed (now version {current_version}) since version {expected}",
            field="version",
        )
        self.current_version = current_version
