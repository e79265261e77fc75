"""The comment form's signed token.

The reader's form carries a signed token instead of a session CSRF token, so that the post
page is the same for every reader and can be cached. The token holds the post id, the time
the page was rendered (milliseconds) and a random nonce.

A cached page serves the same token to many readers for a while, so:
- its time is when the *page* was rendered, not when this reader loaded it. The minimum
  time-to-submit is checked against it ("not too fresh"), which a cached page can only make
  older, so a human is never wrongly flagged; a bot that re-fetches a fresh page still is.
  Its maximum age (COMMENTS_TOKEN_MAX_AGE) bounds how long a token is good for: an expired
  token re-shows the form, the reader's text kept, with a fresh token.
- its nonce is shared by everyone who got that copy, so it alone cannot be the one-time
  submission key; the key is the nonce hashed with what the reader sent (see
  `intake.submission_key`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

TOKEN_SALT = "comment-form"


@dataclass(frozen=True)
class FormToken:
    """What a valid token says."""

    post_id: int
    issued_at: float  # seconds since the epoch
    nonce: str


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT)


def issue_form_token(secret_key: str, post_id: int, now: float | None = None) -> str:
    """A signed token for the comment form of one post."""
    issued = int((time.time() if now is None else now) * 1000)
    payload = {"p": post_id, "t": issued, "n": secrets.token_urlsafe(12)}
    return _serializer(secret_key).dumps(payload)


def read_form_token(
    secret_key: str, token: str, post_id: int, max_age: float, now: float | None = None
) -> FormToken | None:
    """The token's content when it is genuine, for this post and not expired; else None."""
    if not token or len(token) > 500:
        return None
    try:
        payload = _serializer(secret_key).loads(token)
        found = FormToken(int(payload["p"]), int(payload["t"]) / 1000, str(payload["n"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    if found.post_id != post_id or not (-5 <= now - found.issued_at <= max_age):
        return None
    return found
