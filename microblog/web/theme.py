"""Make it yours without touching the package: templates in `<instance>/templates/` are
used before the package's own (same names), and files in `<instance>/static/` are served at
`/theme/…`; a `custom.css` there is linked from every page, after the blog's own style."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory
from flask.typing import ResponseReturnValue
from jinja2 import ChoiceLoader, FileSystemLoader

bp = Blueprint("theme", __name__)

CUSTOM_CSS = "custom.css"


def instance_folder(name: str) -> Path:
    return Path(current_app.instance_path) / name


@bp.get("/theme/<path:filename>")
def theme_file(filename: str) -> ResponseReturnValue:
    """A file of the author's own theme (`<instance>/static/`)."""
    response = send_from_directory(instance_folder("static"), filename, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Put the instance's templates first, and note whether it has a `custom.css`."""
    overrides = Path(app.instance_path) / "templates"
    if app.jinja_loader is not None:
        app.jinja_loader = ChoiceLoader([FileSystemLoader(str(overrides)), app.jinja_loader])
    custom = Path(app.instance_path) / "static" / CUSTOM_CSS
    app.extensions["theme_stylesheet"] = f"/theme/{CUSTOM_CSS}" if custom.is_file() else None
    app.register_blueprint(bp)
