"""Personal access tokens for Micropub clients (`flask author token`).

A token is shown once, when it is made; the database keeps only its SHA-256. A token is
256 random bits, so a plain hash is enough (a slow password hash would only cost every
Micropub request time). Revoking stamps `revoked_at`; a revoked token never works again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model, db
from microblog.models.accounts import Author
from microblog.timeutil import UTCDateTime, now_utc

# What a token may do (Micropub's scope names); `flask author token` grants all three.
SCOPES = ("create", "update", "delete")
PREFIX = "mbt_"
# Tokens are ASCII and short; anything longer or stranger is no token of ours.
MAX_TOKEN_LENGTH = 200


class AccessToken(Model):
    """One personal access token: its hash, whose it is, what it may do, whether revoked."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(200), default=" ".join(SCOPES))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Author] = relationship()

    @property
    def scopes(self) -> frozenset[str]:
        """The scope names this token carries."""
        return frozenset(self.scope.split())


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for, and what it may do."""

    author: Author
    scopes: frozenset[str]


def hash_token(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(author: Author, scopes: tuple[str, ...] = SCOPES) -> str:
    """Make a new token for `author` in the session (the caller commits); returns it."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(AccessToken(author=author, token_hash=hash_token(token), scope=" ".join(scopes)))
    return token


def revoke_all(author: Author) -> int:
    """Revoke every live token of `author` (the caller commits); returns how many."""
    result = db.session.execute(
        update(AccessToken)
        .where(AccessToken.author_id == author.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )
    # An UPDATE's result is a CursorResult, which has the row count.
    return int(getattr(result, "rowcount", 0) or 0)


def verify(token: str) -> Bearer | None:
    """The author and scopes of a live token; None for an unknown or revoked one."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    found = db.session.execute(
        select(AccessToken).where(
            AccessToken.token_hash == hash_token(token),
            AccessToken.revoked_at.is_(None),
        )
    ).scalar_one_or_none()
    if found is None:
        return None
    return Bearer(author=found.author, scopes=found.scopes)
