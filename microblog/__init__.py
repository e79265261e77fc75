"""microblog: a Flask blog engine for an author's Jekyll posts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from microblog import config as settings
from microblog.extensions import csrf, db, limiter, login_manager, migrate
from microblog.extensions import mail as flask_mail


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then `instance/config.py`, then the environment."""
    app = Flask(
        __name__,
        instance_path=str(settings.instance_folder()),
        instance_relative_config=True,
        template_folder=str(settings.shipped_folder("templates")),
    )
    if test_config is None:
        app.config.from_mapping(settings.defaults())
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(settings.from_environment())
    else:
        app.config.from_mapping(settings.DEFAULTS)
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.finish(app.config, app.instance_path)

    if app.config["PROXY_FIX"]:
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from microblog.models import ids as urlargs

    db.init_app(app)
    urlargs.init_app(app)  # before any route: `<int:…>` is the strict id reading
    migrate.init_app(app, db, directory=str(settings.shipped_folder("migrations")))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    flask_mail.init_app(app)

    from microblog.models import database
    from microblog.web import dates, security

    database.init_app(app)
    dates.init_app(app)
    register_session_hooks()
    init_cache(app)
    security.init_app(app)

    from microblog.web import (
        admin,
        browse,
        comments,
        editor,
        errors,
        fediverse,
        feeds,
        followers,
        indieauth,
        media_library,
        micropub,
        moderate,
        pages,
        public,
        replies,
        search,
        theme,
        webmention,
    )

    app.register_blueprint(feeds.bp)
    app.register_blueprint(webmention.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(media_library.bp)
    app.register_blueprint(pages.bp)
    pages.init_app(app)
    app.register_blueprint(micropub.bp)
    app.register_blueprint(indieauth.bp)
    app.register_blueprint(moderate.bp)
    app.register_blueprint(replies.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(browse.bp)
    theme.init_app(app)
    app.register_blueprint(fediverse.bp)
    app.register_blueprint(followers.bp)
    errors.init_app(app)
    # Last: its catch-all permalink route must not shadow the others.
    app.register_blueprint(public.bp)

    from microblog import cli
    from microblog import mail as notify
    from microblog.indieweb import sending, websub  # noqa: F401 (job kinds and commit hook)
    from microblog.jobs import runner as job_runner
    from microblog.posts import (
        exporter,
        media_jobs,  # noqa: F401 (job kind)
        page_export,
    )

    exporter.register_part(page_export.page_files)

    notify.init_app(app)
    job_runner.init_app(app)
    cli.init_app(app)
    return app


def register_session_hooks() -> None:
    """Every piece of commit-time work, in one place and in the order it runs; registered
    once per process (SQLAlchemy's session events are global, create_app runs many times)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from microblog import jobs
    from microblog.fediverse import delivery as federation
    from microblog.indieweb import websub
    from microblog.posts import related, site_changes
    from microblog.web import generation

    hooks: list[tuple[Any, str, Callable[..., Any]]] = [
        # Posts, comments and Webmentions mark the session; the site's change counter is
        # bumped once, just before the commit of the transaction that changed it.
        (Session, "before_commit", site_changes.bump_before_commit),
        (Session, "after_rollback", site_changes.forget_changes),
        # Posts saved or deleted and the author's replies go out to the fediverse, as jobs
        # queued in the same transaction (before the WebSub hook takes the marks).
        (db.session, "after_flush", federation.note_comments),
        (Session, "before_commit", federation.queue_before_commit),
        (Session, "after_rollback", federation.forget_on_rollback),
        # The feeds that changed are announced (WebSub ping, Webmentions to send) as jobs
        # in that same transaction.
        # Related posts are worked out again by a job queued in the transaction that saved.
        (Session, "before_commit", related.queue_before_commit),
        (Session, "before_commit", websub.ping_before_commit),
        # This process's cached copy of the counter is dropped after such a commit.
        (Session, "do_orm_execute", generation.changes_site_state),
        (Session, "after_commit", generation.tell_readers),
        (Session, "after_rollback", generation.forget_on_rollback),
        # A job that wrote must commit with its result.
        (db.session, "after_flush", jobs.note_write),
    ]
    for target, name, listener in hooks:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def init_cache(app: Flask) -> None:
    """The response cache, told what it must not know itself: where the change counter is,
    which cookie makes a page personal, and the headers every page carries."""
    from microblog.models import SiteState, database
    from microblog.web import caching, security
    from microblog.web.generation import GenerationReader
    from microblog.web.post_page import PENDING_COOKIE

    with app.app_context():
        reader = GenerationReader(db.engine)
    app.extensions["generation_reader"] = reader
    hooks = caching.CacheHooks(
        read_generation=reader.read,
        is_personal=caching.carries_cookie(PENDING_COOKIE),
        next_change=SiteState.next_scheduled_post,
        pages_changed_at=SiteState.last_change,
        headers=tuple(security.HEADERS.items()),
        snapshot=lambda: database.read_snapshot(db.session),
    )
    caching.init_app(app, hooks, int(app.config["RESPONSE_CACHE_MAX_BYTES"]))
