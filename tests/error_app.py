"""The blog plus one route that raises, for the error-logging tests (in-process and gunicorn).

`gunicorn error_app:app` (with `tests/` on its path) serves it; `add_failing_route(app)`
gives any test app the same route.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from microblog import create_app

FAILING_PATH = "/__test__/fail"
FAILURE_MESSAGE = "deliberate failure for the error-logging test"

failing = Blueprint("failing", __name__)


@failing.get(FAILING_PATH)
def fail() -> str:
    """A view with a bug in it."""
    raise RuntimeError(FAILURE_MESSAGE)


def add_failing_route(app: Flask) -> Flask:
    """Register the failing route on `app` (before its first request)."""
    app.register_blueprint(failing)
    return app


def __getattr__(name: str) -> Flask:
    # Built on first use, so that importing FAILING_PATH builds no app.
    if name == "app":
        return add_failing_route(create_app())
    raise AttributeError(name)
