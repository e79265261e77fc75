"""Micropub's `photo` given as a URL: fetched through the guarded fetch in a job (never on
the request), kept as the author's own upload, and the post made to show the kept copy.

Until the job ran, the post shows the photo from where it was; a photo that cannot be
fetched or is no safe image stays linked to its own address, and the reason is logged.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from flask import current_app

from microblog import jobs
from microblog.extensions import db
from microblog.indieweb.fetch import FetchRefused, fetch
from microblog.models import Post
from microblog.posts import media as uploads
from microblog.posts.site_settings import current_site_settings
from microblog.posts.writer import PostWriter
from microblog.timeutil import now_utc

log = logging.getLogger(__name__)


def queue_remote_photos(post_id: int, urls: list[str], site_url: str) -> None:
    """In the caller's transaction: a job per photo that lives on another site."""
    for url in dict.fromkeys(urls):
        if not url.startswith(site_url + "/"):
            jobs.enqueue("micropub.photo", post_id=post_id, url=url)


def name_from(url: str) -> str:
    """A file name for the fetched photo, from its URL's last path part."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "/\\")[:100]
    return name.replace("..", ".") or "photo.jpg"


@jobs.task("micropub.photo", attempts=4)
def keep_photo(post_id: int, url: str) -> None:
    """Fetch one photo, store it as an upload and point the post at it."""
    config = current_app.config
    if db.session.get(Post, post_id) is None:
        return
    try:
        fetched = fetch(
            url,
            allow_private=bool(config.get("MEDIA_FETCH_ALLOW_PRIVATE")),
            accept="image/*",
            max_bytes=int(config["MEDIA_MAX_BYTES"]),
        )
    except FetchRefused as exc:
        log.warning("photo %s of post %s not kept: %s", url, post_id, exc)
        return
    if fetched.status != 200:
        log.warning("photo %s of post %s not kept: HTTP %s", url, post_id, fetched.status)
        return
    folder = config["MEDIA_FOLDER"]
    try:
        media = uploads.store_upload(
            db.session,
            name_from(fetched.url),
            fetched.body,
            folder=folder,
            max_bytes=int(config["MEDIA_MAX_BYTES"]),
            now=now_utc(),
        )
    except uploads.MediaRejected as exc:
        log.warning("photo %s of post %s not kept: %s", url, post_id, exc)
        return
    writer = PostWriter(current_site_settings(config))
    post = writer.input_of(post_id)
    body = post.body.replace(f"<{url}>", media.path).replace(url, media.path)
    try:
        writer.save(replace(post, body=body), post_id=post_id)
    except Exception:
        uploads.discard(folder, media)
        raise
