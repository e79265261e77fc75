"""The author's followers: approve one waiting, remove one, block an actor or a domain
(its followers removed with it), lift a block."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select

from microblog.extensions import db
from microblog.fediverse import delivery
from microblog.models import Block, Follower


def listing() -> list[Follower]:
    """Every follower, waiting ones first, then newest first."""
    return list(
        db.session.execute(
            select(Follower).order_by(Follower.accepted, Follower.created_at.desc())
        ).scalars()
    )


def blocks() -> list[Block]:
    return list(db.session.execute(select(Block).order_by(Block.kind, Block.value)).scalars())


def approve(follower: Follower) -> None:
    """Accept a follower that waits for the author's approval (an Accept goes out)."""
    if not follower.accepted:
        follower.accepted = True
        delivery.queue_accept(follower)


def remove(follower: Follower) -> None:
    """Stop delivering to this follower (it may follow again; block it to prevent that)."""
    db.session.delete(follower)


def domain_of(value: str) -> str:
    """A domain as typed (`example.social`, `https://example.social/…`, `@u@example.social`)."""
    value = value.strip().lower()
    if "://" in value:
        return urlsplit(value).hostname or ""
    return value.rsplit("@", 1)[-1].strip("/. ")


def block(kind: str, value: str) -> Block | None:
    """Block an actor (its URL) or a domain; its followers are removed. None: nothing to
    block (an empty or unreadable value)."""
    value = domain_of(value) if kind == "domain" else value.strip()
    if kind not in ("actor", "domain") or not value or len(value) > 1000:
        return None
    existing = db.session.execute(
        select(Block).where(Block.kind == kind, Block.value == value)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Block(kind=kind, value=value)
    db.session.add(row)
    if kind == "actor":
        db.session.execute(delete(Follower).where(Follower.actor_url == value))
    else:
        for follower in listing():
            host = (urlsplit(follower.actor_url).hostname or "").lower()
            if host == value or host.endswith("." + value):
                db.session.delete(follower)
    return row


def unblock(block_row: Block) -> None:
    db.session.delete(block_row)
