"""IndieAuth's endpoints (the work is in `indieweb/indieauth.py`) and the author's list of
tokens at /admin/tokens.

- `GET /.well-known/oauth-authorization-server`: the metadata document every page links.
- `GET /auth`: an app's sign-in request; the author signs in (the admin sign-in) and sees
  the consent page with the app and the scopes it asks for. `POST /auth/consent` (the
  form, CSRF-checked) sends the app back with a code, or with `access_denied`.
- `POST /auth`: an app redeems a code for the author's profile URL only.
- `POST /token`: an app redeems a code (with its PKCE verifier) for an access token;
  `GET /token` with a bearer token says whose it is; `POST /token/revoke` (or `/token`
  with `action=revoke`) revokes one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from microblog.extensions import csrf, db
from microblog.indieweb import indieauth
from microblog.indieweb.indieauth import IndieAuthError
from microblog.models import tokens as access_tokens
from microblog.web.security import CONTENT_SECURITY_POLICY

bp = Blueprint("indieauth", __name__)

SCOPE_LABELS = {
    "create": "Create new posts",
    "update": "Change your posts",
    "delete": "Delete and undelete your posts",
    "media": "Upload files to your media library",
    "profile": "Know your name and home page",
}


def site_url() -> str:
    """The site's base URL (no trailing slash)."""
    return str(current_app.config["SITE_URL"]).rstrip("/")


def json_error(error: IndieAuthError, status: int = 400, *, keep: bool = False) -> Response:
    """OAuth's JSON error answer; `keep` commits what the request did (a code it used up
    stays used, so a wrong verifier cannot be retried on the same code)."""
    if keep:
        db.session.commit()
    else:
        db.session.rollback()
    response = jsonify(error.body())
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def no_store(response: Response) -> Response:
    """Codes and tokens are never cached (RFC 6749 section 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata() -> ResponseReturnValue:
    """The IndieAuth server metadata (RFC 8414)."""
    return jsonify(indieauth.metadata(site_url()))


# ---------------------------------------------------------------------------- authorization


def refuse_page(message: str, status: int = 400) -> tuple[str, int]:
    """A request that cannot be sent back to the app: said to the author on a page."""
    db.session.rollback()
    return render_template("admin/indieauth_refused.html", message=message), status


@bp.get("/auth")
def authorize() -> ResponseReturnValue:
    """An app asks to sign in as the author: sign-in first, then the consent page."""
    wanted: indieauth.AuthorizationRequest | None = None
    problem: IndieAuthError | None = None
    try:
        wanted = indieauth.read_authorization_request(request.args)
    except IndieAuthError as refused:
        if not refused.redirect:
            return refuse_page(refused.description)
        # Sent back to the app only once its redirect_uri is one we may trust (below).
        problem = refused
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path), code=303)
    client_id = request.args.get("client_id", "").strip()
    client = indieauth.fetch_client_info(
        client_id, allow_private=bool(current_app.config["INDIEAUTH_ALLOW_PRIVATE"])
    )
    redirect_uri = request.args.get("redirect_uri", "").strip()
    probe = indieauth.AuthorizationRequest(client_id, redirect_uri, "", "", ())
    if not indieauth.redirect_allowed(probe, client):
        return refuse_page(
            f"The app {client_id} asked to be sent to {redirect_uri}, which is neither on its "
            "own site nor a redirect URL it publishes. Nothing was granted."
        )
    if problem is not None or wanted is None:
        failed = problem or IndieAuthError("invalid_request", "the request is incomplete")
        params = {"error": failed.error, "error_description": failed.description}
        state = request.args.get("state")
        if state:
            params["state"] = state
        params["iss"] = indieauth.me_url(site_url())
        return redirect(indieauth.redirect_with(redirect_uri, params), code=303)
    if wanted.me and wanted.me.rstrip("/") != site_url():
        flash(f"The app asked for {wanted.me}; you sign in as {indieauth.me_url(site_url())}.")
    response = current_app.make_response(
        render_template(
            "admin/indieauth_consent.html",
            wanted=wanted,
            client=client,
            me=indieauth.me_url(site_url()),
            scope_labels=SCOPE_LABELS,
            redirect_host=urlsplit(wanted.redirect_uri).netloc,
        )
    )
    # The consent form's answer is a redirect to the app: browsers hold a form's redirect
    # to the page's `form-action`, so this page allows the app's origin there too.
    parts = urlsplit(wanted.redirect_uri)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
    )
    return no_store(response)


@bp.post("/auth/consent")
@login_required
def consent() -> ResponseReturnValue:
    """The author's answer on the consent page: a code for the app, or `access_denied`."""
    try:
        wanted = indieauth.read_authorization_request(request.form)
    except IndieAuthError as error:
        return refuse_page(error.description)
    client = indieauth.fetch_client_info(
        wanted.client_id, allow_private=bool(current_app.config["INDIEAUTH_ALLOW_PRIVATE"])
    )
    if not indieauth.redirect_allowed(wanted, client):
        return refuse_page("That redirect URL is not the app's. Nothing was granted.")
    iss = indieauth.me_url(site_url())
    if request.form.get("decision") != "allow":
        params = {"error": "access_denied", "state": wanted.state, "iss": iss}
        return redirect(indieauth.redirect_with(wanted.redirect_uri, params), code=303)
    granted = tuple(s for s in request.form.getlist("grant") if s in wanted.scopes)
    code = indieauth.issue_code(
        current_user._get_current_object(), wanted, granted, client.name or wanted.client_id
    )
    db.session.commit()
    params = {"code": code, "state": wanted.state, "iss": iss}
    return redirect(indieauth.redirect_with(wanted.redirect_uri, params), code=303)


def redeemed() -> Any:
    """The code a redemption request names, used up (committed), or the error raised."""
    if request.form.get("grant_type", "authorization_code") != "authorization_code":
        raise IndieAuthError("unsupported_grant_type", "grant_type must be authorization_code")
    return indieauth.redeem_code(request.form)


@bp.post("/auth")
@csrf.exempt
def profile_redemption() -> ResponseReturnValue:
    """An app redeems a code for the author's profile URL (no token)."""
    try:
        code = redeemed()
    except IndieAuthError as error:
        return json_error(error, keep=True)
    db.session.commit()
    body: dict[str, Any] = {"me": indieauth.me_url(site_url())}
    if "profile" in code.scope.split():
        body["profile"] = {
            "name": current_app.config["SITE_AUTHOR"],
            "url": indieauth.me_url(site_url()),
        }
    return no_store(jsonify(body))


# ---------------------------------------------------------------------------- tokens


@bp.post("/token")
@csrf.exempt
def token() -> ResponseReturnValue:
    """Redeem a code for an access token (or, with `action=revoke`, revoke one)."""
    if request.form.get("action") == "revoke":
        return revoked()
    try:
        code = redeemed()
        issued, scopes = indieauth.token_for(code)
    except IndieAuthError as error:
        return json_error(error, keep=True)
    db.session.commit()
    me = indieauth.me_url(site_url())
    body: dict[str, Any] = {
        "access_token": issued,
        "token_type": "Bearer",
        "scope": " ".join(scopes),
        "me": me,
    }
    if "profile" in code.scope.split():
        body["profile"] = {"name": current_app.config["SITE_AUTHOR"], "url": me}
    return no_store(jsonify(body))


@bp.get("/token")
def verify_token() -> ResponseReturnValue:
    """Whose a bearer token is and what it may do (the older IndieAuth token check)."""
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    found = access_tokens.verify(given) if given else None
    if found is None:
        response = jsonify({"error": "invalid_token", "error_description": "unknown token"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return no_store(response)
    body = {
        "me": indieauth.me_url(site_url()),
        "client_id": found.client_id or "",
        "scope": " ".join(s for s in access_tokens.SCOPES if s in found.scopes),
    }
    return no_store(jsonify(body))


@bp.post("/token/revoke")
@csrf.exempt
def revoke_token() -> ResponseReturnValue:
    """Revoke the token sent as `token` (RFC 7009: 200 whether or not it was known)."""
    return revoked()


def revoked() -> Response:
    """Revoke the token the form names; 200 either way."""
    access_tokens.revoke_token(request.form.get("token", "").strip())
    db.session.commit()
    return no_store(current_app.response_class(status=200))


# ---------------------------------------------------------------------------- /admin/tokens


@bp.get("/admin/tokens")
@login_required
def tokens() -> ResponseReturnValue:
    """The author's live tokens: the app each was given to, its scopes, when."""
    live = access_tokens.live_tokens(current_user._get_current_object())
    response = current_app.make_response(render_template("admin/tokens.html", tokens=live))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one token; back to the list."""
    if not access_tokens.revoke(current_user._get_current_object(), token_id):
        abort(404)
    db.session.commit()
    flash("The token was revoked: the app can no longer post as you.")
    return redirect(url_for("indieauth.tokens"), code=303)
