"""The author's account as sessions and passwords see it (a mixin of `models.Author`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash


class AccountMixin:
    """Password checks, and a session version every session carries (Flask-Login's
    alternative id): raising it ends every session signed in before, copied cookies too
    (sign-out, a new password, `flask author sign-out`)."""

    if TYPE_CHECKING:
        id: int
        password_hash: str

    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    def get_id(self) -> str:
        """What the session keeps: the author's id and the current session version."""
        return f"{self.id}:{self.session_version or 1}"

    def end_sessions(self) -> None:
        """Void every session of this author (each checks the version on every request)."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of `password` (werkzeug's `method`); ends every session."""
        self.password_hash = generate_password_hash(password, method=method)
        if self.id is not None:
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Whether `password` is this author's."""
        return check_password_hash(self.password_hash, password)
