"""W3C Micropub at `/micropub`: create, update and delete posts from the author's apps.

Authentication is a personal access token (`flask author token`) sent as
`Authorization: Bearer …` (or `access_token` in a form body, never both; never in the query
string, which access logs keep). The token is checked before the body is parsed: a stranger's
request is answered 401 without its JSON ever being read (a 5,000-digit number once made
that a 500). The request is read by `microblog.indieweb.micropub` (pure) and the post
written by the one writer of posts.
Errors are the spec's JSON bodies; this endpoint is exempt from the CSRF check because a
bearer token, which no other site can make a browser send, authenticates it instead.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from microblog.extensions import csrf, db
from microblog.indieweb import micropub as mp
from microblog.indieweb import micropub_posts
from microblog.indieweb.micropub import MicropubError, invalid
from microblog.jekyll.post_file import SiteSettings
from microblog.models import Media, Post, Redirect
from microblog.models import tokens as access_tokens
from microblog.posts import media as uploads
from microblog.posts.site_settings import current_site_settings
from microblog.timeutil import now_utc
from microblog.web import request_limits
from microblog.web.uploads import read_upload, uploaded_file

bp = Blueprint("micropub", __name__)
csrf.exempt(bp)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.url_value_preprocessor
def allow_long_posts(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A request that carries a bearer token may be as long as the author's posts.

    This runs before any `before_request` hook reads the body; the token itself is checked
    in the view, so a stranger's long request is refused there, unread as a post.
    """
    if request.method == "POST" and request.headers.get("Authorization", "").startswith("Bearer "):
        if request.mimetype == "multipart/form-data":
            request_limits.allow_media_sized_request()  # a photo, or the media endpoint
        else:
            request_limits.allow_author_sized_request()


@bp.errorhandler(MicropubError)
def refuse(error: MicropubError) -> ResponseReturnValue:
    """The spec's JSON error body with its status."""
    db.session.rollback()
    response = jsonify(error.body())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    return response


@bp.after_request
def never_cache(response: Response) -> Response:
    """Micropub answers are the author's: no cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def bearer(form_token: str | None = None) -> access_tokens.Bearer:
    """The author a request's token speaks for; the spec's error when there is none."""
    if "access_token" in request.args:
        raise invalid(
            "never put the access token in the URL (access logs keep it): send it in the "
            "Authorization header; revoke this one with `flask author token --revoke-all`"
        )
    header = request.headers.get("Authorization", "")
    from_header = header[7:].strip() if header[:7].lower() == "bearer " else None
    if from_header and form_token:
        raise invalid("send the access token in the Authorization header or the body, not both")
    token = from_header or form_token
    if not token:
        raise MicropubError(
            "unauthorized",
            "no access token: send Authorization: Bearer <token> "
            "(make one with `flask author token`)",
        )
    found = access_tokens.verify(token)
    if found is None:
        raise MicropubError("forbidden", "this access token is unknown or has been revoked")
    return found


def require_scope(who: access_tokens.Bearer, scope: str, doing: str | None = None) -> None:
    """Refuse a token that may not do this (`doing` names the action when not the scope)."""
    if scope not in who.scopes:
        raise MicropubError(
            "insufficient_scope",
            f"this token may not {doing or scope} posts: it needs the {scope!r} scope "
            f"and has {' '.join(sorted(who.scopes)) or 'none'}",
        )


def authenticated() -> access_tokens.Bearer:
    """Who sends this request, found before its body is parsed: the Authorization header,
    or (only for a form, whose fields werkzeug reads within the reader's size limit) the
    form's `access_token` field."""
    header = request.headers.get("Authorization", "")
    is_form = (request.mimetype or "").lower() in FORM_TYPES
    if header[:7].lower() != "bearer " and is_form:
        return bearer(request.form.get("access_token"))
    who = bearer()
    if is_form and "access_token" in request.form:
        raise invalid("send the access token in the Authorization header or the body, not both")
    return who


def read_body() -> dict[str, Any]:
    """The request as the JSON form (read only once its sender is known)."""
    kind = (request.mimetype or "").lower()
    if kind == "application/json":
        raw = request.get_data(cache=True)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            # ValueError: JSONDecodeError, and an integer over Python's 4,300 digits.
            raise invalid("the body is not valid UTF-8 JSON") from None
        if not isinstance(body, dict):
            raise invalid(f"the JSON body must be an object, not {mp.json_kind(body)}")
        return body
    if kind in FORM_TYPES:
        items = list(request.form.items(multi=True))
        others = [name for name in request.files if name.removesuffix("[]") != "photo"]
        return mp.from_form(items, has_files=bool(others))
    raise invalid("send application/x-www-form-urlencoded, multipart/form-data or application/json")


def site_path(url: str) -> str:
    """The path of a URL on this site; an invalid_request for any other site's URL."""
    parts = urlsplit(url.strip())
    site = urlsplit(current_app.config["SITE_URL"])
    if parts.scheme and (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        raise invalid(f"{url} is not a post of this site ({current_app.config['SITE_URL']})")
    path = parts.path
    base = site.path.rstrip("/")
    if base and path.startswith(base + "/"):
        path = path[len(base) :]
    return path or "/"


def candidate_paths(url: str) -> set[str]:
    """The paths a post at this URL may have (with and without its trailing slash)."""
    path = site_path(url).replace("\x00", "")
    return {path, path + "/"} if not path.endswith("/") else {path, path.rstrip("/") or "/"}


def post_at(url: str) -> Post:
    """The post a URL names (drafts and old addresses too); invalid_request when none."""
    path = site_path(url)
    if "\x00" not in path:
        candidates = {path, path + "/"} if not path.endswith("/") else {path}
        post = db.session.execute(
            select(Post).where(Post.permalink.in_(candidates)).limit(1)
        ).scalar_one_or_none()
        if post is None:
            post = db.session.execute(
                select(Post).join(Redirect).where(Redirect.path.in_(candidates)).limit(1)
            ).scalar_one_or_none()
        if post is not None:
            return post
    raise invalid("The post with the requested URL was not found")


def absolute(path: str) -> str:
    """A post's path as the absolute URL a client keeps."""
    return str(current_app.config["SITE_URL"]) + path


def settings() -> SiteSettings:
    """The site settings that shape a post."""
    return current_site_settings(current_app.config)


@bp.get("/micropub")
def query() -> ResponseReturnValue:
    """`q=config`, `q=syndicate-to`, `q=source&url=…` (with `properties[]` to pick some)."""
    bearer()
    what = request.args.get("q", "")
    if what == "config":
        return jsonify(
            {
                "media-endpoint": absolute(url_for("micropub.media")),
                "syndicate-to": [],
                "q": ["config", "source", "syndicate-to"],
            }
        )
    if what == "syndicate-to":
        return jsonify({"syndicate-to": []})
    if what == "source":
        post = post_at(request.args.get("url", ""))
        names = request.args.getlist("properties[]") or request.args.getlist("properties")
        properties = micropub_posts.source_properties(post, settings())
        if names:
            return jsonify({"properties": {n: properties[n] for n in names if n in properties}})
        return jsonify({"type": ["h-entry"], "properties": properties})
    raise invalid(f"unknown query {what!r} (config, source or syndicate-to)")


def store_photo_files(who: access_tokens.Bearer) -> list[Media]:
    """The `photo` files of a multipart create, stored as uploads (not yet committed)."""
    files = [
        file
        for name in request.files
        if name.removesuffix("[]") == "photo"
        for file in request.files.getlist(name)
    ]
    if files:
        require_scope(who, "media", "upload images for")
    stored = []
    try:
        for file in files:
            stored.append(store_file(file))
    except MicropubError:
        for media in stored:
            uploads.discard(current_app.config["MEDIA_FOLDER"], media)
        raise
    return stored


def store_file(file: FileStorage) -> Media:
    """One uploaded file kept (in the session); the spec's error when it is refused."""
    try:
        return uploads.store_upload(
            db.session,
            file.filename or "",
            read_upload(file),
            folder=current_app.config["MEDIA_FOLDER"],
            max_bytes=int(current_app.config["MEDIA_MAX_BYTES"]),
            now=now_utc(),
        )
    except uploads.MediaRejected as exc:
        error = MicropubError("invalid_request", str(exc))
        error.status = exc.status
        raise error from None


@bp.post("/micropub/media")
def media() -> Response:
    """The media endpoint: one multipart `file`, 201 with its URL in `Location`."""
    who = authenticated()
    require_scope(who, "media", "upload images for")
    file = uploaded_file()
    if file is None:
        raise invalid("send the image as the multipart field `file`")
    stored = store_file(file)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        uploads.discard(current_app.config["MEDIA_FOLDER"], stored)
        raise
    response = current_app.response_class(status=201)
    response.headers["Location"] = absolute(stored.path)
    return response


@bp.post("/micropub")
def act() -> ResponseReturnValue:
    """Create (201 + Location), update (204, or 201 when the URL changed) or delete (204)."""
    who = authenticated()
    action = mp.parse(read_body())
    if isinstance(action, mp.Create):
        require_scope(who, "create")
        stored = store_photo_files(who)
        try:
            if stored:
                action.properties.setdefault("photo", [])
                action.properties["photo"][:0] = [absolute(m.path) for m in stored]
            path = micropub_posts.create(action, settings())
            db.session.commit()
        except BaseException:
            db.session.rollback()
            for media in stored:
                uploads.discard(current_app.config["MEDIA_FOLDER"], media)
            raise
        response = current_app.response_class(status=201)
        response.headers["Location"] = absolute(path)
        return response
    if isinstance(action, mp.Undelete):
        require_scope(who, "delete", "undelete")
        path = micropub_posts.undelete(candidate_paths(action.url), settings())
        db.session.commit()
        response = current_app.response_class(status=201)
        response.headers["Location"] = absolute(path)
        return response
    post = post_at(action.url)
    if isinstance(action, mp.Update):
        require_scope(who, "update")
        old_path = post.permalink
        path = micropub_posts.update(post, action, settings())
        db.session.commit()
        response = current_app.response_class(status=201 if path != old_path else 204)
        if path != old_path:
            response.headers["Location"] = absolute(path)
        return response
    require_scope(who, "delete")
    micropub_posts.delete(post, settings())
    db.session.commit()
    return current_app.response_class(status=204)
