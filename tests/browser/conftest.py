"""The blog served for real (gunicorn on a free port, a fresh database, the example posts
imported and an author created through the `flask` commands) and Debian's Chromium driven
through Playwright's sync API.

One server per database backend per session: SQLite always, PostgreSQL when
TEST_DATABASE_URL is set (in a schema of its own, so the rest of the suite's tables in that
database are never touched). Tests that need the browser skip, with the reason below, when
Chromium is not installed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from microblog.config import ENV_TYPES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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

SITE_TITLE = "microblog"
SAMPLE_POSTS = PROJECT_ROOT / "content" / "_posts"
EXAMPLE_PERMALINK = "/posts/2025/09/alg-blog-post-2/"
EXAMPLE_TITLE = "ALG Blog 2: How Generative AI Works and How It Fails"
EXAMPLE_TAG = ("Generative AI", "generative-ai")

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
PG_SCHEMA = "browser_tests"

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


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url_in_own_schema(url: str) -> str:
    """`url` with its search_path set to a schema only the browser tests use, made empty.

    The rest of the suite owns `public` in the same database and drops it at will; a
    schema of our own keeps the live server's tables out of its way and its out of ours.
    """
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    own = make_url(url).update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
    return own.render_as_string(hide_password=False)


def drop_own_schema(url: str) -> None:
    """Leave the database as the browser tests found it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


@dataclass
class LiveSite:
    """The blog as served by gunicorn, with what a test needs to drive it."""

    backend: str
    url: str
    env: dict[str, str]
    log_path: Path
    username: str = "author"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def flask(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run `flask --app wsgi …` against this site's database; fail loudly on error."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            pytest.fail(
                f"flask {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}",
                pytrace=False,
            )
        return result

    def log(self) -> str:
        """What gunicorn printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    """Poll until the server answers, or fail with its log."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/robots.txt", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; what it answers is for the tests to judge
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"gunicorn did not start serving {url}:\n{log_path.read_text()}", pytrace=False)


@pytest.fixture(scope="session", params=BACKENDS)
def live_site(request, tmp_path_factory) -> Iterator[LiveSite]:
    """The blog under gunicorn on a fresh database, posts imported, an author created."""
    backend = request.param
    folder = tmp_path_factory.mktemp(f"live-{backend}")
    if backend == "sqlite":
        database_url = f"sqlite:///{folder / 'blog.sqlite'}"
    else:
        database_url = postgres_url_in_own_schema(TEST_DATABASE_URL)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        # The developer's own settings stay out: only what is given here configures the app.
        **{name: value for name, value in os.environ.items() if name not in ENV_TYPES},
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SITE_URL": url,
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "SITE_TITLE": SITE_TITLE,
        "PYTHONUNBUFFERED": "1",
    }
    site = LiveSite(backend=backend, url=url, env=env, log_path=folder / "gunicorn.log")
    site.flask("db", "upgrade")

    # gunicorn boots while the posts are imported and the author created.
    with site.log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                # Threads, not the production config's sync workers: a browser talks to
                # gunicorn directly here (no proxy buffering in front), and Chromium's idle
                # preconnected sockets would each hold a sync worker until it timed out.
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                # gunicorn also reads ./gunicorn.conf.py (production settings); the options
                # given here take precedence over it.
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        site.flask("posts", "import", str(SAMPLE_POSTS))
        site.flask(
            "author", "create", site.username, "--password-stdin", stdin=site.password + "\n"
        )
        wait_until_serving(url, process, site.log_path)
        yield site
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if backend == "postgresql":
            drop_own_schema(TEST_DATABASE_URL)
    # A request the app answered with 5xx or a traceback is a failure wherever it came from.
    log_text = site.log()
    assert "Traceback" not in log_text, log_text
    assert '" 50' not in log_text, log_text


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
        context.set_default_timeout(10_000)
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
        page.locator("form button[type=submit], form input[type=submit]").first.click()
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
        "Written by tests/browser; copy to docs/screenshots/ to update the README's pictures.\n"
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
