"""microblog: a Flask blog engine for an author's Jekyll posts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .extensions import csrf, db, limiter, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then `instance/config.py`, then the environment."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(settings.DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(settings.from_environment())
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.finish(app.config, app.instance_path)

    if app.config["PROXY_FIX"]:
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from . import urlargs

    db.init_app(app)
    urlargs.init_app(app)  # before any route: `<int:…>` is the strict id reading
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)

    from . import access_tokens, database, security, webmentions  # noqa: F401 (models)

    database.init_app(app)
    init_cache(app)
    security.init_app(app)

    from .views import (
        admin,
        comments,
        editor,
        errors,
        feeds,
        micropub,
        moderate,
        public,
        replies,
        webmention,
    )

    app.register_blueprint(feeds.bp)
    app.register_blueprint(webmention.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(micropub.bp)
    app.register_blueprint(moderate.bp)
    app.register_blueprint(replies.bp)
    errors.init_app(app)
    # Last: its catch-all permalink route must not shadow the others.
    app.register_blueprint(public.bp)

    from . import cli, devtools, job_runner, notify
    from .openweb import sending, websub  # noqa: F401 (job kinds and commit hook)

    notify.init_app(app)
    job_runner.init_app(app)
    cli.init_app(app)
    devtools.init_app(app)
    return app


def init_cache(app: Flask) -> None:
    """The response cache, told what it must not know itself: where the change counter is,
    which cookie makes a page personal, and the headers every page carries."""
    from . import caching, security
    from .generation import GenerationReader
    from .models import SiteState
    from .views.post_page import PENDING_COOKIE

    with app.app_context():
        reader = GenerationReader(db.engine)
    app.extensions["generation_reader"] = reader
    hooks = caching.CacheHooks(
        read_generation=reader.read,
        is_personal=caching.carries_cookie(PENDING_COOKIE),
        next_change=SiteState.next_scheduled_post,
        pages_changed_at=SiteState.last_change,
        headers=tuple(security.HEADERS.items()),
    )
    caching.init_app(app, hooks, int(app.config["RESPONSE_CACHE_MAX_BYTES"]))
