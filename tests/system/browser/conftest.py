"""The blog served for real (gunicorn on a free port, a fresh database, the example posts
imported and an author created through the `flask` commands) and Debian's Chromium driven
through Playwright's sync API.

One server per session, on SQLite: what a browser sees does not depend on the database (the
tests of what PostgreSQL does are the `any_database` ones). Tests that need the browser skip,
with the reason below, when Chromium is not installed.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_PERMALINK, EXAMPLE_TITLE, SAMPLE_POSTS
from servers import (
    PROJECT_ROOT,
    GunicornSettings,
    Server,
    flask_cli,
    free_port,
    start_gunicorn,
    stop,
    wait_until_up,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"Chromium not installed at {CHROMIUM}: browser tests skipped (apt-get install chromium)"
)
# Chromium as this machine runs it: no sandbox (root), and no calls home, which a closed
# network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NODE_MODULES = PROJECT_ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots-latest"
SHOWCASE_SITE = PROJECT_ROOT / "tests" / "data" / "showcase"

SITE_TITLE = "microblog"
EXAMPLE_TAG = ("Generative AI", "generative-ai")
# Threads, not sync workers: a browser talks to gunicorn directly here (no proxy buffering in
# front), and Chromium's idle preconnected sockets would each hold a sync worker until it
# timed out. The access log is kept: a 5xx anywhere fails the session (see `live_site`).
LIVE_SETTINGS = GunicornSettings(
    workers=2, worker_class="gthread", threads=4, extra_args=("--access-logfile", "-")
)

# Hooks every page gets before its own scripts run: record alert() calls and CSP reports
# instead of showing a dialog, so a test can assert that no injected script ever ran.
WATCH_SCRIPT = """
window.__alerts = [];
window.__cspViolations = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (message) => { window.__alerts.push(name + ': ' + String(message)); };
}
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say plainly, even under -q, when the browser tests did not run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(getattr(report, "longrepr", "")) for report in skipped):
        terminalreporter.write_line(CHROMIUM_MISSING, yellow=True, bold=True)


@dataclass
class LiveSite:
    """The blog as served by gunicorn, with what a test needs to drive it."""

    backend: str
    url: str
    env: dict[str, str]
    server: Server | None = None
    username: str = "author"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def flask(self, *args: str, stdin: str | None = None) -> str:
        """Run `flask --app wsgi …` against this site's database; fail loudly on error."""
        return flask_cli(self.env, *args, stdin=stdin, timeout=120)

    def log(self) -> str:
        """What gunicorn printed so far (for failure messages)."""
        return self.server.log() if self.server is not None else ""


def serve_blog(
    folder: Path, imports: list[list[str]], settings: dict[str, str] | None = None
) -> Iterator[LiveSite]:
    """The blog under gunicorn on a fresh SQLite database in `folder`: each of `imports` is
    the arguments of one `flask posts import`, then an author is created."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{folder / 'blog.sqlite'}",
        "SECRET_KEY": secrets.token_hex(32),
        "SITE_URL": url,
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "SITE_TITLE": SITE_TITLE,
        "MEDIA_FOLDER": str(folder / "media"),
        **(settings or {}),
    }
    site = LiveSite(backend="sqlite", url=url, env=env)
    site.flask("db", "upgrade")
    # gunicorn boots while the posts are imported and the author created. It also reads
    # ./gunicorn.conf.py (production settings); LIVE_SETTINGS' options take precedence.
    site.server = start_gunicorn(
        "wsgi:app", env=env, settings=LIVE_SETTINGS, log_dir=folder, port=port
    )
    try:
        for arguments in imports:
            site.flask("posts", "import", *arguments)
        site.flask(
            "author", "create", site.username, "--password-stdin", stdin=site.password + "\n"
        )
        wait_until_up(site.server, "/robots.txt")
        yield site
    finally:
        stop(site.server.process)
    # A request the app answered with 5xx or a traceback is a failure wherever it came from.
    log_text = site.log()
    assert "Traceback" not in log_text, log_text
    assert '" 50' not in log_text, log_text


@pytest.fixture(scope="session")
def live_site(tmp_path_factory) -> Iterator[LiveSite]:
    """The blog under gunicorn on a fresh database, the example posts imported, an author
    created."""
    yield from serve_blog(tmp_path_factory.mktemp("live-sqlite"), [[str(SAMPLE_POSTS)]])


@pytest.fixture(scope="session")
def showcase_site(tmp_path_factory) -> Iterator[LiveSite]:
    """A blog as an author would show it: two real posts with feature images, code, quotes
    and footnotes (tests/data/showcase, a part of fastpages' own blog, imported as a whole
    site), and the author's name, photo, bio and links set."""
    yield from serve_blog(
        tmp_path_factory.mktemp("showcase"),
        [[str(SHOWCASE_SITE)]],
        {
            "SITE_TITLE": "fastpages",
            "SITE_AUTHOR": "fast.ai",
            "SITE_AUTHOR_PHOTO": "/images/logo.png",
            "SITE_AUTHOR_BIO": "Making neural nets uncool again: courses, software and"
            " research, free for everyone.",
            "SITE_LINKS": "GitHub=https://github.com/fastai, Forums=https://forums.fast.ai",
            "SITE_DESCRIPTION": "Notes on deep learning, literate programming and the tools"
            " we build for them.",
        },
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once for the session."""
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class Watched:
    """A page with its alert and CSP hooks, and the dialogs it tried to open."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    # Stylesheets, images, icons… that answered 4xx/5xx (the page itself may be a 404).
    failed_subresources: list[str] = field(default_factory=list)

    def alerts(self) -> list[str]:
        """alert/confirm/prompt calls the page made since it loaded."""
        return self.page.evaluate("window.__alerts") + self.dialogs

    def csp_violations(self) -> list[str]:
        """Content-Security-Policy violations the page reported since it loaded."""
        return self.page.evaluate("window.__cspViolations")


@pytest.fixture
def new_page(chromium, live_site):
    """Open watched pages in fresh browser contexts (cookies not shared between them)."""
    contexts: list[Any] = []

    def open_page(**context_options) -> Watched:
        context = chromium.new_context(base_url=live_site.url, **context_options)
        # How long an action or a navigation may wait for its page: generous, since at load
        # 10-19 a page load and its keyboard events took over the 10 s once allowed (the
        # keyboard test); what is waited for is a condition, so a pass is not slower.
        context.set_default_timeout(60_000)
        contexts.append(context)
        context.add_init_script(script=WATCH_SCRIPT)
        page = context.new_page()
        watched = Watched(page)

        def on_dialog(dialog) -> None:
            watched.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and watched.console_errors.append(f"{message.text} ({message.location.get('url')})")
            ),
        )
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.request.resource_type != "document"
                and watched.failed_subresources.append(f"{response.status} {response.url}")
            ),
        )
        return watched

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def reader(new_page) -> Watched:
    """A reader's page: light colour scheme, desktop width."""
    return new_page(viewport={"width": 1280, "height": 900})


def log_in(watched: Watched, site: LiveSite) -> None:
    """Sign the author in through the login form."""
    page = watched.page
    page.goto("/admin/login")
    page.locator("input[name=username]").fill(site.username)
    page.locator("input[name=password]").fill(site.password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) button[type=submit]").first.click()
    assert "/admin/login" not in page.url, page.content()


@pytest.fixture
def author(new_page, sign_in) -> Watched:
    """The author's page, signed in."""
    watched = new_page(viewport={"width": 1280, "height": 900})
    sign_in(watched)
    return watched


def run_axe(page) -> dict[str, list[dict[str, Any]]]:
    """axe-core's findings on the page as it is now: violations, plus which rules passed
    and which it could not decide (ids and node counts only)."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async () => {
          const result = await axe.run(document);
          const brief = (rules) => rules.map((r) => ({id: r.id, nodes: r.nodes.length}));
          return {violations: result.violations, passes: brief(result.passes),
                  incomplete: brief(result.incomplete)};
        }"""
    )


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where this run's screenshots go (git-ignored; docs/screenshots/ holds the chosen ones)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    (SCREENSHOTS / "README.txt").write_text(
        "Written by tests/system/browser; copy to docs/screenshots/ to update the README's"
        " pictures.\n"
    )
    return SCREENSHOTS


@dataclass(frozen=True)
class Example:
    """The example post that content/_posts holds, as the pages show it."""

    site_title: str = SITE_TITLE
    permalink: str = EXAMPLE_PERMALINK
    title: str = EXAMPLE_TITLE
    tag_name: str = EXAMPLE_TAG[0]
    tag_slug: str = EXAMPLE_TAG[1]


@pytest.fixture(scope="session")
def example() -> Example:
    """The site's title and the example post's permalink, title and first tag."""
    return Example()


@pytest.fixture(scope="session")
def axe():
    """`axe(page)`: axe-core's findings (see run_axe); skips when `npm ci` has not run."""
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS.relative_to(PROJECT_ROOT)} missing: run `npm ci` for axe-core")
    return run_axe


@pytest.fixture(scope="session")
def sign_in(live_site):
    """`sign_in(watched)`: the author signs in on that page's context."""
    return lambda watched: log_in(watched, live_site)
