"""The two ways a file can fail to become a post, each carrying the reason for the report."""

from __future__ import annotations


class NotAPost(Exception):
    """A file Jekyll would not treat as a post: reported as skipped, with the reason."""


class PostError(Exception):
    """A post that cannot be imported as written: reported as failed, with the reason."""
