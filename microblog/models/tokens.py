"""Access tokens for Micropub clients: personal ones (`flask author token`) and those an
app got by signing in with IndieAuth (with its `client_id` and name, listed at /admin/tokens).

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

# What a token may do (Micropub's scope names); `flask author token` grants all of them
# unless `--scope` names some.
SCOPES = ("create", "update", "delete", "media")
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
    # The app an IndieAuth sign-in gave it to (None: made by `flask author token`).
    client_id: Mapped[str | None] = mapped_column(String(1000))
    client_name: Mapped[str | None] = mapped_column(String(200))

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
    client_id: str | None = None


def hash_token(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scopes(text: str, allowed: tuple[str, ...] = SCOPES) -> tuple[str, ...]:
    """Scope names separated by spaces or commas, each once, in `allowed`'s order; a
    ValueError names any unknown one."""
    names = set(text.replace(",", " ").split())
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)} (choose from {' '.join(allowed)})")
    return tuple(name for name in allowed if name in names)


def issue(
    author: Author,
    scopes: tuple[str, ...] = SCOPES,
    *,
    client_id: str | None = None,
    client_name: str | None = None,
) -> str:
    """Make a new token for `author` in the session (the caller commits); returns it."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        AccessToken(
            author=author,
            token_hash=hash_token(token),
            scope=" ".join(scopes),
            client_id=client_id,
            client_name=(client_name or "")[:200] or None,
        )
    )
    return token


def live_tokens(author: Author) -> list[AccessToken]:
    """The author's tokens that still work, newest first (what /admin/tokens lists)."""
    return list(
        db.session.execute(
            select(AccessToken)
            .where(AccessToken.author_id == author.id, AccessToken.revoked_at.is_(None))
            .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())
        ).scalars()
    )


def revoke(author: Author, token_id: int) -> bool:
    """Revoke one live token of `author` (the caller commits); whether there was one."""
    result = db.session.execute(
        update(AccessToken)
        .where(
            AccessToken.id == token_id,
            AccessToken.author_id == author.id,
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=now_utc())
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_token(token: str) -> None:
    """Revoke the token with this text, whoever's it is (IndieAuth's revocation request:
    holding a token is the right to give it up)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == hash_token(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )


def revoke_all(author: Author) -> int:
    """Revoke every live token of `author` (the caller commits); returns how many."""
    result = db.session.execute(
        update(AccessToken)
        .where(AccessToken.author_id == author.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )
    # A code not yet exchanged would otherwise still turn into a token.
    db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.author_id == author.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now_utc())
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
    return Bearer(author=found.author, scopes=found.scopes, client_id=found.client_id)


class AuthorizationCode(Model):
    """An IndieAuth authorization code: one use, ten minutes, bound to the app, its
    redirect URI and the PKCE challenge the app sent (only the code's hash is kept)."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(1000))
    client_name: Mapped[str | None] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scope: Mapped[str] = mapped_column(String(200), default="")
    code_challenge: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Author] = relationship()
