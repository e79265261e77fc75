"""A reader's reply notifications: confirm (double opt-in) and unsubscribe, by the signed
links mailed to them. GET shows a page with a button; POST acts. The unsubscribe URL also
takes RFC 8058's one-click POST (`List-Unsubscribe=One-Click`) from mail programs."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from microblog.extensions import csrf, db
from microblog.mail import readers
from microblog.web.moderate import private

bp = Blueprint("replies", __name__)
# The token in the URL is the proof, and RFC 8058's POST carries no form token.
csrf.exempt(bp)


def void_link() -> Response:
    """A link that is altered, expired or names nothing any more."""
    return private(make_response(render_template("replies/void.html"), 404))


@bp.get("/replies/confirm/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    """One button: yes, mail me replies."""
    subscription = readers.read_confirm_token(token)
    if subscription is None:
        return void_link()
    return private(make_response(render_template("replies/confirm.html", sub=subscription)))


@bp.post("/replies/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    """Confirm the subscription."""
    subscription = readers.read_confirm_token(token)
    if subscription is None:
        return void_link()
    readers.confirm(subscription)
    db.session.commit()
    return private(make_response(render_template("replies/confirmed.html", sub=subscription)))


@bp.get("/replies/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """Two buttons: this comment, or every comment of mine on this site."""
    subscription = readers.read_unsubscribe_token(token)
    if subscription is None:
        return void_link()
    page = render_template("replies/unsubscribe.html", sub=subscription)
    return private(make_response(page))


@bp.post("/replies/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """Stop the mails (one-click from a mail program, or a button on the page)."""
    subscription = readers.read_unsubscribe_token(token)
    if subscription is None:
        return void_link()
    everything = request.form.get("scope") == "all"
    readers.unsubscribe(subscription, everything=everything)
    db.session.commit()
    page = render_template("replies/unsubscribed.html", sub=subscription, everything=everything)
    return private(make_response(page))
