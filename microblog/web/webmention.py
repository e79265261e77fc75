"""POST /webmention (W3C Webmention): refused at once with the reason (400), else 202 and
verified later by a job (openweb/webmention.py). Rate-limited per source host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from microblog.extensions import csrf, db, limiter
from microblog.indieweb import webmention

bp = Blueprint("webmention", __name__)


def source_host() -> str:
    """The rate limit's key: the host that claims to mention us."""
    host = urlsplit(request.form.get("source", "")).hostname or ""
    return "webmention:" + host.lower()


def webmention_rate_limit() -> str:
    return str(current_app.config["WEBMENTION_RATE_LIMIT"])


def plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


@bp.post("/webmention")
@csrf.exempt  # other sites post here: there is no form of ours to carry a token
@limiter.limit(webmention_rate_limit, key_func=source_host, methods=["POST"])
def receive() -> Response:
    """Check what needs no fetch, queue the verification, answer 202."""
    source = request.form.get("source", "").strip()
    target = request.form.get("target", "").strip()
    why = webmention.refusal(source, target)
    if why is not None:
        return plain(why, 400)
    if webmention.queue_full():
        response = plain("Too many Webmentions wait for verification; try again later.", 503)
        response.headers["Retry-After"] = "3600"
        return response
    webmention.accept(source, target)
    db.session.commit()
    return plain("Accepted: the source will be checked shortly.", 202)
