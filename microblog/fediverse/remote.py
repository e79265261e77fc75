"""Remote actors: their documents fetched through the guarded fetch (signed, for servers in
"secure mode"), their key, inboxes and name kept (`RemoteActor`), fetched again when a
signature no longer matches the key we hold (the actor rotated it)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from flask import current_app
from sqlalchemy import select

from microblog.extensions import db
from microblog.fediverse import documents
from microblog.fediverse.keys import current_key
from microblog.fediverse.signatures import signed_headers
from microblog.indieweb.fetch import fetch
from microblog.models import Block, RemoteActor
from microblog.timeutil import now_utc

ACCEPT = f"{documents.ACTIVITY_JSON}, {documents.LD_JSON}"
# A key is fetched again on a failed signature at most this often (a forger cannot make us
# fetch an actor on every request).
REFETCH_AFTER = timedelta(minutes=1)
FETCH_SECONDS = 8.0


class ActorUnavailable(Exception):
    """The actor's document could not be fetched or read."""


def allow_private() -> bool:
    return bool(current_app.config["ACTIVITYPUB_ALLOW_PRIVATE"])


def is_blocked(url: str) -> bool:
    """Whether the author blocked this actor, or its whole domain."""
    host = (urlsplit(url).hostname or "").lower()
    domains = {host}
    parts = host.split(".")
    domains.update(".".join(parts[i:]) for i in range(1, len(parts) - 1))
    found = db.session.execute(
        select(Block.id)
        .where(
            ((Block.kind == "actor") & (Block.value == url))
            | ((Block.kind == "domain") & Block.value.in_(domains))
        )
        .limit(1)
    ).scalar_one_or_none()
    return found is not None


def fetch_document(url: str) -> dict[str, Any]:
    """An ActivityPub document at `url`, fetched with a signed GET."""
    key = current_key()
    headers = signed_headers(key.private_pem, documents.key_id(), "GET", url)
    headers.pop("Host", None)  # urllib3 sends the same one
    try:
        page = fetch(
            url,
            allow_private=allow_private(),
            accept=ACCEPT,
            seconds=FETCH_SECONDS,
            headers=headers,
        )
    except Exception as error:  # refused, unreachable, too slow, broken: all the same here
        raise ActorUnavailable(f"{url}: {error}") from error
    if page.status != 200:
        raise ActorUnavailable(f"{url} answered {page.status}")
    try:
        document = json.loads(page.body)
    except ValueError as error:
        raise ActorUnavailable(f"{url} is not JSON") from error
    if not isinstance(document, dict):
        raise ActorUnavailable(f"{url} is not an ActivityPub object")
    return document


def text(value: Any, limit: int = 300) -> str:
    return value[:limit] if isinstance(value, str) else ""


def url_of(value: Any) -> str | None:
    """An http(s) URL from a string, a Link, or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href") or value.get("id")
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value[:1000]
    return None


def public_key_of(document: dict[str, Any], key_id: str) -> str | None:
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and key.get("id") == key_id:
            pem = key.get("publicKeyPem")
            return pem if isinstance(pem, str) else None
    return None


def store(document: dict[str, Any], key_id: str) -> RemoteActor:
    """Keep what an actor document says (its key `key_id`, inboxes, names)."""
    actor_url = document.get("id")
    inbox = url_of(document.get("inbox"))
    pem = public_key_of(document, key_id)
    if not isinstance(actor_url, str) or inbox is None or pem is None:
        raise ActorUnavailable(f"{key_id}: the actor document lacks an id, inbox or key")
    if urlsplit(actor_url).netloc.lower() != urlsplit(key_id).netloc.lower():
        # A server speaks for its own actors only: nothing of another's is stored.
        raise ActorUnavailable(f"{key_id} is not on its actor's server")
    endpoints = document.get("endpoints")
    shared = url_of(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    username = text(document.get("preferredUsername"), 100)
    host = urlsplit(actor_url).netloc
    row = db.session.execute(
        select(RemoteActor).where(RemoteActor.actor_url == actor_url)
    ).scalar_one_or_none()
    if row is None:
        row = RemoteActor(actor_url=actor_url[:1000])
        db.session.add(row)
    row.key_id = key_id[:1000]
    row.public_pem = pem
    row.inbox = inbox
    row.shared_inbox = shared
    row.handle = f"@{username}@{host}" if username else actor_url[:300]
    row.name = text(document.get("name")) or username
    row.profile_url = url_of(document.get("url")) or actor_url[:1000]
    row.fetched_at = now_utc()
    db.session.flush()
    return row


def load_key(key_id: str) -> RemoteActor:
    """Fetch the actor that holds `key_id` and keep it (the key id's document is the actor
    itself, or a key naming its `owner`)."""
    document = fetch_document(urldefrag(key_id)[0])
    if public_key_of(document, key_id) is None and isinstance(document.get("owner"), str):
        document = fetch_document(document["owner"])
    return store(document, key_id)


def actor_for_key(key_id: str, refresh: bool = False) -> RemoteActor:
    """The actor holding `key_id`: the one kept, or fetched now (again, with `refresh`,
    unless it was fetched a moment ago)."""
    row = db.session.execute(
        select(RemoteActor).where(RemoteActor.key_id == key_id).limit(1)
    ).scalar_one_or_none()
    if row is not None and not refresh:
        return row
    if row is not None and now_utc() - row.fetched_at < REFETCH_AFTER:
        return row
    return load_key(key_id)


def actor_by_url(actor_url: str) -> RemoteActor | None:
    return db.session.execute(
        select(RemoteActor).where(RemoteActor.actor_url == actor_url)
    ).scalar_one_or_none()
