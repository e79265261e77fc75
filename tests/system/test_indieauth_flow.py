"""A Micropub app signs in with IndieAuth, as Quill or Indigenous would, then posts.

The blog runs on a real loopback port; the app's client_id page is another loopback site
(read by the blog through its guarded fetch); Authlib's OAuth 2.0 client makes the PKCE
(S256) authorization URL and redeems the code; a `requests` session plays the author's
browser through the sign-in and consent pages. Then Micropub with the token it got.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import mf2py
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from comment_helpers import AUTHOR, create_author
from live_app import LiveApp
from local_site import LocalSite

APP_NAME = "Pocket Micropub"


class Forms(HTMLParser):
    """Every form on a page: its action and its fields (hidden, checked boxes)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action"), "fields": []})
        elif tag == "input" and self.forms:
            kind = values.get("type", "text")
            if kind == "hidden" or (kind == "checkbox" and "checked" in values):
                self.forms[-1]["fields"].append((values["name"], values.get("value", "")))


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def app_site():
    """The Micropub app's own site: its client_id page names it with an h-app."""
    with LocalSite() as site:
        site.pages["/"] = (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            f'<div class="h-app"><a class="u-url p-name" href="/">{APP_NAME}</a>'
            '<img class="u-logo" src="/logo.png" alt=""></div>',
        )
        yield site


@pytest.fixture
def blog(make_app):
    with LiveApp(make_app, INDIEAUTH_ALLOW_PRIVATE=True) as live:
        create_author(live.app)
        yield live


def discover(blog: LiveApp) -> dict:
    """What an app does first: the author's URL → its metadata → the endpoints."""
    home = requests.get(blog.url("/"), timeout=10)
    rels = mf2py.parse(doc=home.text, url=blog.url("/"))["rels"]
    [metadata_url] = rels["indieauth-metadata"]
    metadata = requests.get(metadata_url, timeout=10).json()
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["issuer"] == blog.url("/")
    return metadata


def sign_in_and_consent(blog: LiveApp, authorize_url: str, decision: str = "allow", drop=()):
    """The author's browser: the sign-in page, then the consent page; the final redirect."""
    browser = requests.Session()
    first = browser.get(authorize_url, allow_redirects=False, timeout=10)
    assert first.status_code == 303 and "/admin/login" in first.headers["Location"]
    login_page = browser.get(blog.url("") + first.headers["Location"], timeout=10)
    [login] = [f for f in forms_of(login_page.text) if "login" in (f["action"] or "")]
    fields = dict(login["fields"]) | {"username": AUTHOR[0], "password": AUTHOR[1]}
    signed_in = browser.post(blog.url(login["action"]), data=fields, allow_redirects=False)
    assert signed_in.status_code == 303
    consent_page = browser.get(blog.url("") + signed_in.headers["Location"], timeout=10)
    assert consent_page.status_code == 200
    assert APP_NAME in consent_page.text and "Create new posts" in consent_page.text
    # A browser follows the form's redirect to the app only if the page's CSP allows it.
    app_origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url_redirect(authorize_url)))
    policy = consent_page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {app_origin}" in policy and "frame-ancestors 'none'" in policy
    [consent] = [f for f in forms_of(consent_page.text) if "consent" in (f["action"] or "")]
    fields = [(k, v) for k, v in consent["fields"] if not (k == "grant" and v in drop)]
    answer = browser.post(
        blog.url(consent["action"]),
        data=[*fields, ("decision", decision)],
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    return browser, answer.headers["Location"]


def authorize_url_redirect(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["redirect_uri"][0]


def micropub(blog: LiveApp, token: str, **form) -> requests.Response:
    return requests.post(
        blog.url("/micropub"),
        data=form,
        headers={"Authorization": f"Bearer {token}"},
        allow_redirects=False,
        timeout=10,
    )


def test_an_app_signs_in_with_pkce_and_posts_with_the_scopes_granted(blog, app_site):
    metadata = discover(blog)
    client = OAuth2Session(
        client_id=app_site.url("/"),
        redirect_uri=app_site.url("/callback"),
        scope="create update delete",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(64)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, me=blog.url("/")
    )
    # The author grants create and update, not delete.
    browser, back = sign_in_and_consent(blog, url, drop=("delete",))
    query = parse_qs(urlsplit(back).query)
    assert back.startswith(app_site.url("/callback"))
    assert query["state"] == [state] and query["iss"] == [blog.url("/")]
    assert "/" in app_site.gets  # the blog read the app's page (through its guarded fetch)

    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    assert token["token_type"].lower() == "bearer" and token["me"] == blog.url("/")
    assert token["scope"] == "create update"

    made = micropub(blog, token["access_token"], h="entry", content="Posted from my app")
    assert made.status_code == 201
    assert "Posted from my app" in requests.get(made.headers["Location"], timeout=10).text
    refused = micropub(blog, token["access_token"], action="delete", url=made.headers["Location"])
    assert refused.status_code in (401, 403) and refused.json()["error"] == "insufficient_scope"

    # The same code never works twice.
    again = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": app_site.url("/"),
            "redirect_uri": app_site.url("/callback"),
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # The author sees the app at /admin/tokens and revokes it there.
    listing = browser.get(blog.url("/admin/tokens"), timeout=10)
    assert APP_NAME in listing.text and "create update" in listing.text
    [revoke] = [f for f in forms_of(listing.text) if "revoke" in (f["action"] or "")]
    gone = browser.post(blog.url(revoke["action"]), data=dict(revoke["fields"]), timeout=10)
    assert gone.status_code == 200 and APP_NAME not in gone.text.split("<h1>", 1)[1]
    stopped = micropub(blog, token["access_token"], h="entry", content="Too late")
    assert stopped.status_code == 403


def test_a_wrong_verifier_or_no_pkce_gets_nothing(blog, app_site):
    metadata = discover(blog)
    client = OAuth2Session(
        client_id=app_site.url("/"),
        redirect_uri=app_site.url("/callback"),
        scope="create",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    url, _state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    _browser, back = sign_in_and_consent(blog, url)
    code = parse_qs(urlsplit(back).query)["code"][0]
    wrong = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app_site.url("/"),
            "redirect_uri": app_site.url("/callback"),
            "code_verifier": generate_token(64),
        },
        timeout=10,
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    # Without a code_challenge the app is sent back with an error, and no code.
    plain = OAuth2Session(
        client_id=app_site.url("/"), redirect_uri=app_site.url("/callback"), scope="create"
    )
    url, _state = plain.create_authorization_url(metadata["authorization_endpoint"])
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False, timeout=10)
    assert first.status_code == 303 and "/admin/login" in first.headers["Location"]
    login_page = browser.get(blog.url("") + first.headers["Location"], timeout=10)
    [login] = [f for f in forms_of(login_page.text) if "login" in (f["action"] or "")]
    fields = dict(login["fields"]) | {"username": AUTHOR[0], "password": AUTHOR[1]}
    signed_in = browser.post(blog.url(login["action"]), data=fields, allow_redirects=False)
    refused = browser.get(blog.url("") + signed_in.headers["Location"], allow_redirects=False)
    assert refused.status_code == 303
    query = parse_qs(urlsplit(refused.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and "code" not in query
    assert "PKCE" in query["error_description"][0]


def test_a_denied_request_and_a_foreign_redirect_grant_nothing(blog, app_site):
    metadata = discover(blog)
    client = OAuth2Session(
        client_id=app_site.url("/"),
        redirect_uri=app_site.url("/callback"),
        scope="create",
        code_challenge_method="S256",
    )
    url, _state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    _browser, back = sign_in_and_consent(blog, url, decision="deny")
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]

    # A redirect_uri on another site, which the app's page does not publish: refused on a
    # page, never sent there.
    elsewhere = OAuth2Session(
        client_id=app_site.url("/"),
        redirect_uri="http://evil.example/steal",
        scope="create",
        code_challenge_method="S256",
    )
    url, _state = elsewhere.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False, timeout=10)
    login_page = browser.get(blog.url("") + first.headers["Location"], timeout=10)
    [login] = [f for f in forms_of(login_page.text) if "login" in (f["action"] or "")]
    fields = dict(login["fields"]) | {"username": AUTHOR[0], "password": AUTHOR[1]}
    signed_in = browser.post(blog.url(login["action"]), data=fields, allow_redirects=False)
    page = browser.get(blog.url("") + signed_in.headers["Location"], allow_redirects=False)
    assert page.status_code == 400 and "evil.example" in page.text


def test_revoke_all_ends_app_tokens_too(blog, app_site):
    metadata = discover(blog)
    client = OAuth2Session(
        client_id=app_site.url("/"),
        redirect_uri=app_site.url("/callback"),
        scope="create",
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, _state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    _browser, back = sign_in_and_consent(blog, url)
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=back, code_verifier=verifier
    )["access_token"]
    assert micropub(blog, token, h="entry", content="works").status_code == 201
    result = blog.app.test_cli_runner().invoke(args=["author", "token", "--revoke-all", "author"])
    assert result.exit_code == 0, result.output
    assert micropub(blog, token, h="entry", content="no more").status_code == 403
