"""The IndieAuth sign-in in a real browser (Debian's Chromium through Playwright): the
author signs in, allows the app on the consent page, and the browser really arrives at the
app's redirect URL with a code (a Content-Security-Policy `form-action` that left out the
app's origin would stop the browser there, which no HTTP client notices).
Skipped, saying why, without Chromium."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from comment_helpers import AUTHOR, create_author
from live_app import LiveApp
from local_site import LocalSite

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium not installed at {CHROMIUM}")
def test_the_author_allows_an_app_in_a_browser(make_app, chromium):
    # The session's one Chromium (a second Playwright in the same process would refuse).
    html = {"Content-Type": "text/html; charset=utf-8"}
    with (
        LocalSite() as app_site,
        LiveApp(make_app, INDIEAUTH_ALLOW_PRIVATE=True) as blog,
    ):
        app_site.pages["/"] = (
            200,
            html,
            '<div class="h-app"><p class="p-name">Browser App</p></div>',
        )
        app_site.pages["/callback"] = (200, html, "<p>Signed in.</p>")
        create_author(blog.app)
        client = OAuth2Session(
            client_id=app_site.url("/"),
            redirect_uri=app_site.url("/callback"),
            scope="create",
            code_challenge_method="S256",
        )
        verifier = generate_token(64)
        url, state = client.create_authorization_url(blog.url("/auth"), code_verifier=verifier)
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.goto(url)
            page.fill("#login-username", AUTHOR[0])
            page.fill("#login-password", AUTHOR[1])
            page.click("form.login-form button[type=submit]")
            page.wait_for_selector("text=Browser App")
            assert page.is_checked("#grant-create")
            with page.expect_navigation(url=lambda u: u.startswith(app_site.url("/callback"))):
                page.click("button[value=allow]")
            arrived = page.url
        finally:
            context.close()
        query = parse_qs(urlsplit(arrived).query)
        assert query["state"] == [state] and query["code"]
        token = client.fetch_token(
            blog.url("/token"), authorization_response=arrived, code_verifier=verifier
        )
        assert token["scope"] == "create"
