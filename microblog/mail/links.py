"""Signed links: one itsdangerous signer per purpose, so a token made for one purpose (say,
unsubscribing) is worthless for another (moderating).

A token carries no secret state of its own: what makes it void once used is the state it
names (a moderation link names the comment's status and when it last changed; the feed link
names the author's current feed generation). No table of used tokens is needed.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from microblog.feeds.uris import uri

PURPOSES = ("moderate", "confirm-replies", "unsubscribe", "author-feed")
MAX_TOKEN_LENGTH = 1000


# Links that never expire and must read the same each time they are made (the private
# feed's URL is printed again and again) carry no timestamp.
UNDATED = ("author-feed",)


def _serializer(purpose: str) -> URLSafeTimedSerializer | URLSafeSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    kind = URLSafeSerializer if purpose in UNDATED else URLSafeTimedSerializer
    return kind(current_app.config["SECRET_KEY"], salt=f"microblog/{purpose}")


def sign(purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe, signed, dated token carrying `payload` for one purpose."""
    return str(_serializer(purpose).dumps(payload))


def read(purpose: str, token: str, max_age: int | None = None) -> dict[str, Any] | None:
    """The payload of a genuine, unexpired token of this purpose; None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    serializer = _serializer(purpose)
    try:
        if isinstance(serializer, URLSafeTimedSerializer):
            payload = serializer.loads(token, max_age=max_age)
        else:
            payload = serializer.loads(token)
    except (BadSignature, ValueError, TypeError):
        # SignatureExpired and BadTimeSignature are BadSignatures; a mangled payload may
        # raise while decoding.
        return None
    return payload if isinstance(payload, dict) else None


def absolute(path: str) -> str:
    """`path` on the public site (SITE_URL), percent-encoded, for links in mails and feeds."""
    return uri(current_app.config["SITE_URL"] + path)
