"""Friendly error pages that never show a traceback, while the log gets it."""

from __future__ import annotations

import sys

from flask import Flask, current_app, make_response, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from microblog.extensions import db


def render_http_error(error: HTTPException) -> ResponseReturnValue:
    """An error page for any HTTP error, with the error's own status and headers
    (Retry-After on a 429 or 503, Allow on a 405)."""
    db.session.rollback()
    if error.response is not None:  # a view aborted with a response of its own
        return error.response
    if error.code == 404:
        from microblog.web.pages import not_found_page

        page = not_found_page()  # the site's own 404 page (a Jekyll site's 404.md)
        if page is not None:
            return make_response(render_template("public/page.html", page=page), 404)
    response = make_response(render_template("errors/error.html", error=error), error.code or 500)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def render_server_error(error: Exception) -> tuple[str, int]:
    """A 500 page that says sorry and leaks nothing; the traceback goes to the log.

    A handler for every `Exception` takes the error before Flask's own 500 path, which is
    where Flask would log it, so this logs it the way Flask does (`app.log_exception`:
    "Exception on <path> [<method>]" and the traceback, on the server's error log).
    """
    current_app.log_exception(sys.exc_info())  # the handler runs inside the `except`
    db.session.rollback()
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(Exception, render_server_error)
