"""IndieAuth's endpoints through the test client (the full app flow with a real OAuth
client is in tests/system/test_indieauth_flow.py): the metadata document and the links
every page carries, refusals of a malformed request, the profile-only redemption at the
authorization endpoint, the token check and revocation, and the app's page read as JSON
client metadata."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.common.security import generate_token
from comment_helpers import AUTHOR, create_author, csrf_from
from local_site import LocalSite
from werkzeug.datastructures import MultiDict

from microblog.indieweb import indieauth

SITE = "http://blog.example"


@pytest.fixture
def app_site():
    with LocalSite() as site:
        yield site


@pytest.fixture
def blog(make_app):
    app = make_app(INDIEAUTH_ALLOW_PRIVATE=True)
    create_author(app)
    return app


def signed_in(app):
    client = app.test_client()
    token = csrf_from(client, "/admin/login")
    answer = client.post(
        "/admin/login",
        data={"username": AUTHOR[0], "password": AUTHOR[1], "csrf_token": token},
    )
    assert answer.status_code == 303
    return client


def authorize(client, app_site, scope="create", **extra):
    verifier = generate_token(64)
    params = {
        "response_type": "code",
        "client_id": app_site.url("/"),
        "redirect_uri": app_site.url("/callback"),
        "state": "xyz",
        "code_challenge": indieauth.s256(verifier),
        "code_challenge_method": "S256",
        "scope": scope,
        **extra,
    }
    return client.get("/auth?" + urlencode(params)), params, verifier


def allow(client, page, grants=None):
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    boxes = re.findall(r'name="grant" value="([^"]+)" checked', html)
    data = MultiDict(
        [*fields.items(), *(("grant", g) for g in (boxes if grants is None else grants))]
    )
    data.add("decision", "allow")
    answer = client.post("/auth/consent", data=data)
    assert answer.status_code == 303
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_every_page_links_the_metadata_which_names_the_endpoints(blog):
    client = blog.test_client()
    home = client.get("/").get_data(as_text=True)
    assert (
        f'<link rel="indieauth-metadata" href="{SITE}/.well-known/oauth-authorization-server">'
        in home
    )
    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["issuer"] == SITE + "/"
    assert metadata["authorization_endpoint"] == SITE + "/auth"
    assert metadata["token_endpoint"] == SITE + "/token"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"create", "update", "delete", "media"} <= set(metadata["scopes_supported"])


@pytest.mark.parametrize(
    ("client_id", "why"),
    [
        ("", "client_id is missing"),
        ("ftp://app.example/", "http or https"),
        ("https://app.example/#frag", "no user, password or fragment"),
        ("https://10.0.0.1/", "domain name"),
        ("https://app.example/a/../b", "path segments"),
    ],
)
def test_a_bad_client_id_is_refused_on_a_page(blog, client_id, why):
    query = urlencode({"client_id": client_id, "redirect_uri": "https://app.example/cb"})
    answer = blog.test_client().get("/auth?" + query)
    assert answer.status_code == 400 and why in answer.get_data(as_text=True)


def test_the_author_signs_in_first(blog, app_site):
    answer, params, _ = authorize(blog.test_client(), app_site)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/admin/login?next=")


def test_a_profile_only_code_is_redeemed_at_the_authorization_endpoint(blog, app_site):
    client = signed_in(blog)
    page, params, verifier = authorize(client, app_site, scope="profile")
    assert page.status_code == 200
    back = allow(client, page)
    redeem = {
        "grant_type": "authorization_code",
        "code": back["code"][0],
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "code_verifier": verifier,
    }
    # A code granting no Micropub scope gives no access token...
    assert blog.test_client().post("/token", data=redeem).get_json()["error"] == "invalid_grant"
    # ...and that try used it up (one use only, whatever the outcome).
    reused = blog.test_client().post("/auth", data=redeem)
    assert reused.status_code == 400 and "used already" in reused.get_json()["error_description"]
    # A fresh one answers with `me`.
    page, params, verifier = authorize(client, app_site, scope="profile")
    back = allow(client, page)
    redeem.update(code=back["code"][0], code_verifier=verifier)
    profile = blog.test_client().post("/auth", data=redeem)
    assert profile.status_code == 200
    assert profile.get_json()["me"] == SITE + "/"
    assert profile.get_json()["profile"]["name"]


def test_the_token_check_and_revocation(blog, app_site):
    client = signed_in(blog)
    page, params, verifier = authorize(client, app_site, scope="create update")
    back = allow(client, page, grants=["create"])
    answer = blog.test_client().post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    token = answer.get_json()
    assert token["scope"] == "create" and token["me"] == SITE + "/"
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    check = blog.test_client().get("/token", headers=bearer).get_json()
    assert check == {"me": SITE + "/", "client_id": app_site.url("/"), "scope": "create"}
    revoked = blog.test_client().post("/token/revoke", data={"token": token["access_token"]})
    assert revoked.status_code == 200
    assert blog.test_client().get("/token", headers=bearer).status_code == 401


def test_a_json_client_metadata_document_names_the_app_and_its_redirects(blog, app_site):
    app_site.pages["/"] = (
        200,
        {"Content-Type": "application/json"},
        json.dumps(
            {
                "client_id": app_site.url("/"),
                "client_name": "Metadata App",
                "redirect_uris": ["https://elsewhere.example/return"],
            }
        ),
    )
    client = signed_in(blog)
    page, _params, _verifier = authorize(
        client, app_site, redirect_uri="https://elsewhere.example/return"
    )
    assert page.status_code == 200 and "Metadata App" in page.get_data(as_text=True)
    back = allow(client, page)
    assert back["state"] == ["xyz"] and back["iss"] == [SITE + "/"]


def test_a_wrong_verifier_uses_the_code_up(blog, app_site):
    client = signed_in(blog)
    page, params, verifier = authorize(client, app_site)
    back = allow(client, page)
    redeem = {
        "grant_type": "authorization_code",
        "code": back["code"][0],
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "code_verifier": generate_token(64),
    }
    wrong = blog.test_client().post("/token", data=redeem)
    assert wrong.status_code == 400 and "code_verifier" in wrong.get_json()["error_description"]
    redeem["code_verifier"] = verifier  # the right one, too late: no guessing on one code
    late = blog.test_client().post("/token", data=redeem)
    assert late.status_code == 400 and late.get_json()["error"] == "invalid_grant"
