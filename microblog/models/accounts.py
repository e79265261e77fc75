"""Who the author is: checking a username and password, the same way from every door.

Two things make this more than `check_password_hash`:
- A control character (NUL above all) in a username or password is refused before any
  comparison. PBKDF2 and scrypt key an HMAC with the password, and HMAC pads a short key
  with zero bytes, so `secret` and `secret\\x00` hash alike: the NUL would sign in.
- An unknown username costs the same time as a wrong password: a dummy hash (made with
  the configured method) is checked, so timing does not tell who has an account.
"""

from __future__ import annotations

import threading
import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from microblog.extensions import Model, db
from microblog.models.account_mixin import AccountMixin
from microblog.timeutil import UTCDateTime, now_utc

USERNAME_MAX = 80
PASSWORD_MAX = 1024

_dummy_hashes: dict[str, str] = {}
_dummy_lock = threading.Lock()


class Author(AccountMixin, UserMixin, Model):  # type: ignore[misc]  # Flask-Login is untyped
    """The blog's author: the one who signs in to moderate."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Where notifications for this author go (`flask author create --email`); none: no mail.
    email: Mapped[str | None] = mapped_column(String(254))
    # The private moderation feed's URL is signed with this; `feed-url --rotate` bumps it,
    # which voids every URL made before.
    feed_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a C0/C1 control character (NUL, tab, newline, DEL, …)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def credential_problem(username: str, password: str) -> str | None:
    """Why these cannot be anyone's credentials (for the CLI), or None when they may be."""
    if not username or len(username) > USERNAME_MAX:
        return f"The username must be 1 to {USERNAME_MAX} characters."
    if not password or len(password) > PASSWORD_MAX:
        return f"The password must be 1 to {PASSWORD_MAX} characters."
    if has_control_characters(username) or has_control_characters(password):
        return "Usernames and passwords cannot hold control characters (such as NUL or tab)."
    return None


def dummy_hash(method: str) -> str:
    """A hash of a random password made with `method`, once per process and method."""
    with _dummy_lock:
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash("not-a-password", method=method)
        return _dummy_hashes[method]


def authenticate(username: str, password: str, hash_method: str) -> Author | None:
    """The author these credentials belong to, or None; about the same time either way."""
    if credential_problem(username, password) is not None:
        return None
    author = db.session.execute(
        select(Author).where(Author.username == username)
    ).scalar_one_or_none()
    if author is None:
        # Spend what a real check spends, so an unknown name is not faster.
        check_password_hash(dummy_hash(hash_method), password)
        return None
    return author if author.check_password(password) else None


def parse_session_id(value: str) -> tuple[int, int] | None:
    """(author id, session version) from what `Author.get_id()` gave; None if malformed."""
    from microblog.models.ids import parse_id

    author_id, _, version = value.partition(":")
    number, generation = parse_id(author_id), parse_id(version)
    if number is None or generation is None:
        return None
    return number, generation


def author_for_session(value: str) -> Author | None:
    """The author a session names, only while its version is still the author's."""
    parsed = parse_session_id(value)
    if parsed is None:
        return None
    author = db.session.get(Author, parsed[0])
    if author is None or (author.session_version or 1) != parsed[1]:
        return None
    return author
