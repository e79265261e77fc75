"""WebSub publishing: tell the hub (`WEBSUB_HUB`) which feeds changed, from the queue.

The writers only mark what changed (`content/site_changes.py`); at the commit of that same
transaction this module turns the marks into one `websub.ping` job, so a ping exists once,
and only if, the change is stored. A post dated later changes its feeds when it goes live,
with nothing written then: the ping for it is queued at save time, due at that moment.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from microblog import jobs
from microblog.feeds.uris import uri
from microblog.indieweb.fetch import post_form
from microblog.indieweb.sending import queue_link_jobs
from microblog.posts.site_changes import FeedChanges, take_feed_changes
from microblog.timeutil import now_utc

FEED_FILES = ("feed.xml", "atom.xml", "feed.json")


def feed_urls(site_url: str, site: bool, tag_slugs: set[str], permalinks: set[str]) -> list[str]:
    """The absolute URLs of the changed feeds, as each names itself (`rel="self"`)."""
    base = site_url.rstrip("/")
    paths = [f"/{name}" for name in FEED_FILES] if site else []
    for slug in sorted(tag_slugs):
        paths += [f"/tags/{slug}/{name}" for name in FEED_FILES]
    paths += [f"{permalink}comments/feed.xml" for permalink in sorted(permalinks)]
    return [uri(base + path) for path in paths]


def queue_pings(session: Session, changes: FeedChanges, site_url: str) -> None:
    """One ping job for what changed now, and one due when each scheduled post goes live."""
    urls = feed_urls(site_url, changes.site, changes.tag_slugs, changes.comment_feeds)
    if urls:
        jobs.enqueue("websub.ping", session=session, urls=urls)
    now = now_utc()
    for moment, slugs in sorted(changes.going_live.items()):
        delay = (moment - now).total_seconds()
        urls = feed_urls(site_url, True, slugs, set())
        jobs.enqueue("websub.ping", session=session, delay=max(0.0, delay) + 1, urls=urls)


def ping_before_commit(session: Session) -> None:
    """Queue the pings (and, with WEBMENTION_SEND, the Webmentions to send) in the
    transaction that changed the feeds; nothing without a hub."""
    changes = take_feed_changes(session)
    if changes is None or not has_app_context():
        return
    if current_app.config.get("WEBSUB_HUB"):
        queue_pings(session, changes, str(current_app.config["SITE_URL"]))
    if current_app.config.get("WEBMENTION_SEND"):
        queue_link_jobs(session, changes)


@jobs.task("websub.ping", attempts=8)
def ping(urls: list[str]) -> None:
    """`hub.mode=publish` for each feed URL; any refusal or error raises (a retry with backoff).

    One request per URL: the spec names one `hub.url`, and hubs differ on lists. Both
    `hub.url` and `hub.topic` are sent: hubs read one or the other (flask-websub's needs
    `hub.topic`). The hub is the operator's own setting, so a private address is allowed.
    """
    hub = current_app.config.get("WEBSUB_HUB")
    if not hub:
        return  # the hub was removed from the settings since: nobody to tell
    for url in urls:
        status = post_form(
            hub,
            {"hub.mode": "publish", "hub.url": url, "hub.topic": url},
            allow_private=True,
        )
        if not 200 <= status < 300:
            raise RuntimeError(f"the hub {hub} answered {status} for {url}")
