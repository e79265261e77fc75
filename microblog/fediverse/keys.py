"""The actor's key pair: RSA 2048, kept in the database, made on first use, rotated by
`flask fediverse rotate-key` (the followers' servers are sent an Update of the actor)."""

from __future__ import annotations

from sqlalchemy import select

from microblog.extensions import db
from microblog.fediverse.signatures import new_key_pair
from microblog.models import ActorKey
from microblog.timeutil import now_utc


def current_key() -> ActorKey:
    """The actor's key, made (in the caller's transaction) the first time it is needed."""
    key = db.session.execute(
        select(ActorKey).where(ActorKey.retired_at.is_(None)).order_by(ActorKey.id.desc()).limit(1)
    ).scalar_one_or_none()
    if key is None:
        key = new_key()
    return key


def new_key() -> ActorKey:
    private, public = new_key_pair(2048)
    key = ActorKey(private_pem=private, public_pem=public, created_at=now_utc())
    db.session.add(key)
    db.session.flush()
    return key


def rotate() -> ActorKey:
    """Retire the current key and make a new one (the caller commits)."""
    now = now_utc()
    for key in db.session.execute(select(ActorKey).where(ActorKey.retired_at.is_(None))).scalars():
        key.retired_at = now
    return new_key()
