"""Friendly error pages that never show a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from ..extensions import db


def render_http_error(error: HTTPException):
    """An error page for any HTTP error, with the error's own status."""
    db.session.rollback()
    return render_template("errors/error.html", error=error), error.code


def render_server_error(error: Exception):
    """A 500 page that says sorry and leaks nothing."""
    db.session.rollback()
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(Exception, render_server_error)
