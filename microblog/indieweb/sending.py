"""Sending Webmentions (`WEBMENTION_SEND`): when a post is published, changed or deleted,
tell each site it links to, or linked to, from the queue.

At the commit that saved the post, one `webmention.links` job is queued (due when a
scheduled post goes live); it reads the post's links and queues one `webmention.send` job
per link, so each link is notified once per change and a failing site is retried alone. The links
notified are remembered (`SentWebmention`): a link the author removes is notified once more,
and so is every link of a deleted post, whose address then answers 410 Gone (the spec's
"sending Webmentions for updated posts" and deletes). An import sends none unless asked.
Endpoint discovery follows the spec: the `Link` header first, then the first `<link>` or
`<a>` with `rel="webmention"` in document order, relative URLs resolved against the page's
final URL. Every fetch and POST goes through the SSRF guard of `fetch.py`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from microblog import jobs
from microblog.extensions import db
from microblog.feeds.uris import uri
from microblog.indieweb.fetch import FetchRefused, fetch, post_form
from microblog.models import Post, SentWebmention
from microblog.posts.site_changes import FeedChanges
from microblog.timeutil import now_utc

LINK_HEADER = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
REL_WEBMENTION = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;,]+))""", re.IGNORECASE)


# Set in a session's `info` (by `flask posts import` without `--send-webmentions`) when
# its changes must notify no other site.
QUIET = "microblog.no_webmentions"


def queue_link_jobs(session: Session, changes: FeedChanges) -> None:
    """One links job per saved post, due when it goes live; one per deleted post."""
    if session.info.get(QUIET):
        return
    now = now_utc()
    for post_id, live_at in sorted(changes.saved_posts.items()):
        delay = max(0.0, (live_at - now).total_seconds() + 1) if live_at else 0.0
        jobs.enqueue("webmention.links", session=session, delay=delay, post_id=post_id)
    site = str(current_app.config["SITE_URL"]).rstrip("/")
    for permalink, body_html in sorted(changes.deleted_posts.items()):
        source = uri(site + permalink)
        targets = outbound_links(body_html, source)
        jobs.enqueue("webmention.gone", session=session, source=source, targets=targets)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.endpoint: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "a" and href:
            self.hrefs.append(href)
        rels = (values.get("rel") or "").lower().split()
        if tag in ("a", "link") and href is not None and "webmention" in rels:
            if self.endpoint is None:
                self.endpoint = href


def outbound_links(html: str, page_url: str) -> list[str]:
    """The http(s) pages a post's HTML links to, other than this site's, once each."""
    parser = _Anchors()
    parser.feed(html)
    own = urlsplit(page_url).netloc.lower()
    found = []
    for href in parser.hrefs:
        url = urljoin(page_url, href.strip()).split("#")[0]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc.lower() != own:
            found.append(url)
    return list(dict.fromkeys(found))


def endpoint_from_header(value: str) -> str | None:
    """The first `Link` header URL whose rel has `webmention`."""
    for match in LINK_HEADER.finditer(value):
        for rel in REL_WEBMENTION.finditer(match.group(2)):
            words = (rel.group(1) or rel.group(2) or rel.group(3) or "").lower().split()
            if "webmention" in words:
                return match.group(1)
    return None


def discover(target: str, allow_private: bool) -> str | None:
    """The target's Webmention endpoint (absolute), or None when it has none."""
    page = fetch(target, allow_private=allow_private)
    found = endpoint_from_header(page.header("Link"))  # HTTP header names have no case
    if found is None and "html" in page.header("Content-Type", "text/html").lower():
        parser = _Anchors()
        parser.feed(page.text)
        found = parser.endpoint
    return None if found is None else urljoin(page.url, found)


def notified_before(source: str) -> list[str]:
    """The targets this source was last notified about."""
    return list(
        db.session.execute(
            select(SentWebmention.target)
            .where(SentWebmention.source == source)
            .order_by(SentWebmention.target)
        ).scalars()
    )


def queue_sends_for(source: str, linked: list[str]) -> None:
    """Queue one send per link the source has now and per link it had before (which
    learns the link is gone), and remember what it links to now."""
    before = notified_before(source)
    for target in dict.fromkeys([*linked, *before]):
        jobs.enqueue("webmention.send", source=source, target=target)
    gone = [target for target in before if target not in linked]
    if gone:
        db.session.execute(
            delete(SentWebmention).where(
                SentWebmention.source == source, SentWebmention.target.in_(gone)
            )
        )
    for target in linked:
        if target not in before:
            db.session.add(SentWebmention(source=source[:1000], target=target[:1000]))


@jobs.task("webmention.links", attempts=5)
def queue_sends(post_id: int) -> None:
    """Queue one send per link of the published post, and per link it no longer has
    (committed with this job)."""
    post = db.session.get(Post, post_id)
    if post is None or post.is_draft or post.published_at > now_utc():
        return
    source = uri(str(current_app.config["SITE_URL"]).rstrip("/") + post.permalink)
    queue_sends_for(source, [t for t in outbound_links(post.body_html, source) if len(t) <= 1000])


@jobs.task("webmention.gone", attempts=5)
def queue_gone_sends(source: str, targets: list[str]) -> None:
    """A deleted post: every site it linked to is told, and finds its source answering 410."""
    before = set(notified_before(source))
    queue_sends_for(source, [])
    for target in dict.fromkeys(targets):
        if target not in before:
            jobs.enqueue("webmention.send", source=source, target=target)


@jobs.task("webmention.send", attempts=6, seconds=60)
def send(source: str, target: str) -> None:
    """Discover the target's endpoint and notify it; a 5xx or network error is retried, a
    refusal (an address not public, a site too slow) fails at once with its reason."""
    allow_private = bool(current_app.config["WEBMENTION_ALLOW_PRIVATE"])
    try:
        endpoint = discover(target, allow_private)
        if endpoint is None:
            return
        status = post_form(
            endpoint, {"source": source, "target": target}, allow_private=allow_private
        )
    except FetchRefused as refused:
        current_app.logger.info("no webmention to %s: %s", target, refused)
        raise jobs.GiveUp(f"{target}: {refused}") from refused
    if status >= 500:
        raise RuntimeError(f"the endpoint {endpoint} answered {status}")
