"""POST /webmention (W3C Webmention): refused at once with the reason (400), else 202 and
verified later by a job (indieweb/webmention.py).

Limited per client, never per anything the sender writes: the source URL's host is the
sender's to choose (500 made-up hosts once got 500 × 202 and filled the queue), the
client's address is not (`ratelimits.client_key`: an IPv6 client counts by its /64). Each
client may also hold only a share of the waiting verifications. With the shared
rate-limit storage down, the answer is 503 with Retry-After, as for comments: no limit that
cannot be checked, and no 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from microblog.extensions import csrf, db
from microblog.indieweb import webmention
from microblog.web import ratelimits

bp = Blueprint("webmention", __name__)

WEBMENTION_SCOPE = "webmention"


def webmention_rate_limit() -> str:
    return str(current_app.config["WEBMENTION_RATE_LIMIT"])


def plain(text: str, status: int, retry_after: int | None = None) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/webmention")
@csrf.exempt  # other sites post here: there is no form of ours to carry a token
def receive() -> Response:
    """Count the attempt, check what needs no fetch, queue the verification, answer 202."""
    try:
        verdict = ratelimits.count_attempt(WEBMENTION_SCOPE, webmention_rate_limit())
    except ratelimits.StorageDown:
        return plain("Webmentions cannot be taken right now; try again shortly.", 503, 60)
    if not verdict.allowed:
        return plain("Too many Webmentions from you; try again later.", 429, verdict.retry_after)
    source = request.form.get("source", "").strip()
    target = request.form.get("target", "").strip()
    why = webmention.refusal(source, target)
    if why is not None:
        return plain(why, 400)
    client = ratelimits.client_key()
    if webmention.queue_full(client):
        return plain("Too many Webmentions wait for verification; try again later.", 503, 3600)
    webmention.accept(source, target, client)
    db.session.commit()
    return plain("Accepted: the source will be checked shortly.", 202)
