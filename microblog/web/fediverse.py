"""ActivityPub over HTTP: WebFinger, NodeInfo, the actor and its collections, the inbox
(signed POSTs only), and posts as activity JSON for a client that asks for it.

Thin: the documents come from `fediverse/documents.py`, what an activity does from
`fediverse/inbox.py`; this module reads the request, checks its signature and answers.
None of it goes through the response cache (a post's URL answers HTML or JSON by `Accept`).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from microblog.extensions import csrf, db
from microblog.fediverse import documents, inbox, remote
from microblog.fediverse.signatures import SignatureError, check_request, parse_signature
from microblog.models import Post
from microblog.web import ratelimits

bp = Blueprint("fediverse", __name__)

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")
# A post's page says it varies by Accept: its URL also answers activity JSON.
VARY_ACCEPT = (("Vary", "Accept"),)
JRD = "application/jrd+json"
INBOX_SCOPE = "activitypub-inbox"


def enabled() -> bool:
    return bool(current_app.config["ACTIVITYPUB_ENABLED"])


@bp.before_request
def only_when_enabled() -> None:
    if not enabled():
        abort(404)


def json_response(
    document: Any, mimetype: str = documents.ACTIVITY_JSON, status: int = 200
) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "max-age=0, must-revalidate"
    return response


def wants_activity() -> bool:
    """Whether the client asks for ActivityStreams JSON rather than a page (an exact type
    in Accept: a browser's `*/*` never gets JSON)."""
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in ACTIVITY_TYPES)


def activity_response_at(path: str) -> Response | None:
    """The post at `path` as activity JSON, when the request asks for it (None: it does
    not, or the blog is not federated; 404 when no post is there)."""
    if not enabled() or not wants_activity():
        return None
    post = Post.find_published(path)
    if post is None or documents.the_author() is None:
        return None
    response = json_response({"@context": documents.CONTEXT, **documents.post_object(post)})
    db.session.commit()  # the actor's key, made on first use
    return response


@bp.app_template_global("fediverse_handle")
def fediverse_handle() -> str | None:
    """The handle to follow the blog by (`@user@host`), or None when not federated."""
    if not enabled():
        return None
    author = documents.the_author()
    return documents.handle(author) if author is not None else None


@bp.get("/.well-known/webfinger")
def webfinger() -> Response:
    """WebFinger (RFC 7033): the author's actor, by `acct:` handle or by actor URL."""
    resource = request.args.get("resource", "")
    if not resource:
        return json_response({"error": "the resource parameter is missing"}, JRD, 400)
    found = documents.webfinger(resource)
    if found is None:
        return json_response({"error": "no such resource here"}, JRD, 404)
    return json_response(found, JRD)


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links() -> Response:
    """Where the NodeInfo document is."""
    return json_response(documents.nodeinfo_links(), "application/json")


@bp.get("/nodeinfo/2.1")
def nodeinfo() -> Response:
    """NodeInfo 2.1."""
    return json_response(
        documents.nodeinfo(),
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
    )


@bp.get(documents.ACTOR_PATH)
def actor() -> Response:
    """The author as an ActivityPub `Person`."""
    author = documents.the_author()
    if author is None:
        abort(404)
    response = json_response(documents.actor_document(author))
    db.session.commit()  # the key, made the first time it is shown
    return response


@bp.get(documents.OUTBOX_PATH)
def outbox() -> Response:
    """The newest posts, as Create activities."""
    if documents.the_author() is None:
        abort(404)
    response = json_response(documents.outbox())
    db.session.commit()
    return response


@bp.get(documents.FOLLOWERS_PATH)
def followers() -> Response:
    """How many follow the blog."""
    return json_response(documents.followers_collection())


@bp.get(documents.FOLLOWING_PATH)
def following() -> Response:
    """Whom the blog follows: nobody."""
    return json_response(documents.following_collection())


@bp.get(documents.INBOX_PATH)
def inbox_get() -> Response:
    """The inbox takes POSTs only (nothing in it is anyone's to read)."""
    response = Response("The inbox takes signed POSTs.\n", status=405, mimetype="text/plain")
    response.headers["Allow"] = "POST"
    return response


def refuse(why: str, status: int = 401) -> Response:
    current_app.logger.info("activitypub inbox refused (%s): %s", status, why)
    return Response(why + "\n", status=status, mimetype="text/plain")


@bp.post(documents.INBOX_PATH)
@csrf.exempt  # other servers post here: signed by HTTP Signatures, not by a form token
def receive() -> Response:
    """A signed activity from another server: checked, then done in this transaction."""
    request.max_content_length = int(current_app.config["ACTIVITYPUB_MAX_BODY"])
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return refuse("the body is larger than 1 MB", 413)
    header = request.headers.get("Signature") or request.headers.get("Authorization", "")
    if not header:
        return refuse("the request is not signed")
    try:
        params = parse_signature(header)
    except SignatureError as error:
        return refuse(str(error))
    try:
        verdict = ratelimits.count_attempt(
            INBOX_SCOPE, str(current_app.config["ACTIVITYPUB_INBOX_RATE_LIMIT"])
        )
    except ratelimits.StorageDown:
        return refuse("the inbox cannot take activities right now", 503)
    if not verdict.allowed:
        return refuse("too many activities from you; try again later", 429)
    if remote.is_blocked(params.key_id):
        return Response(status=202)  # dropped without a word
    try:
        activity = json.loads(body)
    except ValueError:
        return refuse("the body is not JSON", 400)
    if not isinstance(activity, dict):
        return refuse("the body is not an activity", 400)
    path = request.full_path if request.query_string else request.path
    try:
        sender = remote.actor_for_key(params.key_id)
    except remote.ActorUnavailable as error:
        db.session.rollback()
        return refuse(f"the signing key cannot be fetched: {error}")
    headers = dict(request.headers.items())
    try:
        try:
            check_request(params, sender.public_pem, request.method, path, headers, body)
        except SignatureError:
            # The actor may have rotated its key: read it again (not more than once a
            # minute) and check once more.
            sender = remote.actor_for_key(params.key_id, refresh=True)
            check_request(params, sender.public_pem, request.method, path, headers, body)
    except SignatureError as error:
        db.session.commit()  # what was learnt of the actor is kept
        return refuse(str(error))
    except remote.ActorUnavailable as error:
        db.session.rollback()
        return refuse(f"the signing key cannot be fetched: {error}")
    if inbox.id_of(activity.get("actor")) != sender.actor_url:
        db.session.commit()
        return refuse("the activity's actor is not the key's owner")
    outcome = inbox.handle(activity, sender)
    db.session.commit()
    return Response(outcome + "\n", status=202, mimetype="text/plain")
