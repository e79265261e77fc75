"""IndieAuth (https://indieauth.spec.indieweb.org/): Micropub apps sign in as the author.

The blog is its own authorization server, as WordPress's IndieAuth plugin makes a blog:
the author's URL (the site's home page) links the metadata document, the authorization
endpoint uses the author's own sign-in and asks their consent for the scopes the app wants,
and the token endpoint swaps the one-time code for an access token, which Micropub takes
like a token from `flask author token`.

- PKCE with S256 is required: a code is bound to the app's `code_challenge`, and only the
  `code_verifier` it was made from redeems it (once, within ten minutes, by the same
  `client_id` and `redirect_uri`).
- The app's information (its name, logo, and the redirect URLs it publishes) is read from
  its `client_id` URL through the guarded fetch: a JSON client metadata document, or an
  HTML page with an `h-app` / `h-x-app` and `<link rel="redirect_uri">`.
- Nothing here reads a request: the views in `web/indieauth.py` hand over plain values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from sqlalchemy import select, update

from microblog.extensions import db
from microblog.indieweb.fetch import fetch
from microblog.models import Author, AuthorizationCode
from microblog.models import tokens as access_tokens
from microblog.timeutil import as_utc, now_utc

# The scopes an app may ask for: Micropub's, and `profile` / `email` (IndieAuth's, which
# grant nothing here beyond the author's URL).
MICROPUB_SCOPES = access_tokens.SCOPES
SCOPES_SUPPORTED = (*MICROPUB_SCOPES, "profile")
CODE_LIFETIME = timedelta(minutes=10)
CLIENT_FETCH_SECONDS = 5.0
# RFC 7636: a verifier is 43 to 128 of these characters.
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
MAX_URL = 1000


class IndieAuthError(Exception):
    """A request refused with OAuth's error name; `redirect` when the app may be told by
    a redirect to its `redirect_uri` (the request named a trustworthy one)."""

    def __init__(self, error: str, description: str, *, redirect: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect

    def body(self) -> dict[str, str]:
        """The JSON error body (RFC 6749 section 5.2)."""
        return {"error": self.error, "error_description": self.description}


# ---------------------------------------------------------------------------- metadata


def endpoints(site_url: str) -> dict[str, str]:
    """The absolute URLs of the server's endpoints."""
    base = site_url.rstrip("/")
    return {
        "metadata": f"{base}/.well-known/oauth-authorization-server",
        "authorization": f"{base}/auth",
        "token": f"{base}/token",
        "revocation": f"{base}/token/revoke",
    }


def me_url(site_url: str) -> str:
    """The author's profile URL: the site's home page, with its trailing slash."""
    return site_url.rstrip("/") + "/"


def metadata(site_url: str) -> dict[str, Any]:
    """The authorization server metadata document (RFC 8414, as IndieAuth profiles it)."""
    urls = endpoints(site_url)
    return {
        "issuer": me_url(site_url),
        "authorization_endpoint": urls["authorization"],
        "token_endpoint": urls["token"],
        "revocation_endpoint": urls["revocation"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "authorization_response_iss_parameter_supported": True,
    }


# ---------------------------------------------------------------------------- the request


def client_id_problem(url: str) -> str | None:
    """Why `url` is not a client identifier as the spec defines it (None: it is one)."""
    if len(url) > MAX_URL:
        return "client_id is too long"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "client_id must be an http or https URL"
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        return "client_id must name a host, with no user, password or fragment"
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return "client_id must not hold . or .. path segments"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    if not address.is_loopback:
        return "client_id must be a domain name (an IP address only for 127.0.0.1 or [::1])"
    return None


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


@dataclass(frozen=True)
class AuthorizationRequest:
    """An app's request to sign in as the author (the authorization endpoint's query)."""

    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    scopes: tuple[str, ...]
    me: str | None = None

    def as_form(self) -> dict[str, str]:
        """The request as the hidden fields of the consent form."""
        values = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            "scope": " ".join(self.scopes),
        }
        if self.me:
            values["me"] = self.me
        return values


def read_authorization_request(values: Mapping[str, str]) -> AuthorizationRequest:
    """The request's parameters, checked; an IndieAuthError says what is wrong (one the
    app may be sent back with, once client_id and redirect_uri are sound)."""
    client_id = (values.get("client_id") or "").strip()
    redirect_uri = (values.get("redirect_uri") or "").strip()
    problem = client_id_problem(client_id) if client_id else "client_id is missing"
    if problem:
        raise IndieAuthError("invalid_request", problem)
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(redirect_uri) > MAX_URL:
        raise IndieAuthError("invalid_request", "redirect_uri must be an http or https URL")
    # From here the app can be told by a redirect (once its redirect_uri is trusted).
    if values.get("response_type", "code") not in ("code", "id"):
        raise IndieAuthError(
            "unsupported_response_type", "response_type must be code", redirect=True
        )
    state = values.get("state") or ""
    if not state or len(state) > 1000:
        raise IndieAuthError("invalid_request", "state is missing or too long", redirect=True)
    challenge = values.get("code_challenge") or ""
    method = values.get("code_challenge_method") or ""
    if not challenge or method != "S256":
        raise IndieAuthError(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
            redirect=True,
        )
    if not CHALLENGE.match(challenge):
        raise IndieAuthError(
            "invalid_request", "code_challenge is not an S256 challenge", redirect=True
        )
    asked = (values.get("scope") or "").replace(",", " ").split()
    # Scopes this server does not know are dropped, as OAuth lets a server narrow a request.
    scopes = tuple(scope for scope in SCOPES_SUPPORTED if scope in asked)
    me = (values.get("me") or "").strip() or None
    return AuthorizationRequest(client_id, redirect_uri, state, challenge, scopes, me)


def redirect_with(redirect_uri: str, params: Mapping[str, str]) -> str:
    """`redirect_uri` with `params` added to its query."""
    parts = urlsplit(redirect_uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# ---------------------------------------------------------------------------- the app


@dataclass(frozen=True)
class ClientInfo:
    """What the app's client_id page says about it (all empty when it could not be read)."""

    name: str | None = None
    url: str | None = None
    logo: str | None = None
    redirect_uris: tuple[str, ...] = field(default_factory=tuple)
    # Why nothing could be read, to show on the consent page.
    problem: str | None = None


def fetch_client_info(client_id: str, *, allow_private: bool) -> ClientInfo:
    """The app's name, logo and published redirect URLs, read through the guarded fetch."""
    try:
        page = fetch(
            client_id,
            allow_private=allow_private,
            accept="application/json, text/html;q=0.9",
            seconds=CLIENT_FETCH_SECONDS,
        )
    except Exception as error:  # refused, unreachable, too slow…: the app stays unnamed
        return ClientInfo(problem=f"its page could not be read ({type(error).__name__})")
    if not 200 <= page.status < 300:
        return ClientInfo(problem=f"its page answered {page.status}")
    kind = page.header("Content-Type").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return client_info_from_json(page.text, page.url, client_id)
    return client_info_from_html(page.text, page.url)


def _http(value: Any, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    url = urljoin(base, value.strip())
    return url[:MAX_URL] if urlsplit(url).scheme in ("http", "https") else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())[:200]
    return None


def client_info_from_json(text: str, base: str, client_id: str) -> ClientInfo:
    """A client metadata document (IndieAuth 2022): client_name, client_uri, logo_uri,
    redirect_uris; its client_id must be the URL it was fetched from."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return ClientInfo(problem="its metadata is not JSON")
    if not isinstance(document, dict):
        return ClientInfo(problem="its metadata is not a JSON object")
    if document.get("client_id") not in (None, client_id):
        return ClientInfo(problem="its metadata names another client_id")
    uris = document.get("redirect_uris")
    redirects = tuple(
        url for url in (_http(u, base) for u in (uris if isinstance(uris, list) else [])) if url
    )
    return ClientInfo(
        name=_text(document.get("client_name")),
        url=_http(document.get("client_uri"), base),
        logo=_http(document.get("logo_uri"), base),
        redirect_uris=redirects,
    )


def client_info_from_html(text: str, base: str) -> ClientInfo:
    """An HTML page: its first h-app (or h-x-app) and its `rel="redirect_uri"` links."""
    # Imported here: mf2py brings BeautifulSoup, html5lib and requests (~0.2 s), which every
    # CLI command and worker boot would pay for otherwise.
    import mf2py  # type: ignore[import-untyped]

    parsed = mf2py.parse(doc=text, url=base, html_parser="html.parser")
    app: dict[str, Any] = {}
    for item in parsed.get("items", []):
        if {"h-app", "h-x-app"} & set(item.get("type", [])):
            app = item.get("properties", {})
            break

    def first(name: str) -> Any:
        values = app.get(name) or []
        value = values[0] if values else None
        return value.get("value") if isinstance(value, dict) else value

    redirects = tuple(
        url
        for url in (_http(u, base) for u in parsed.get("rels", {}).get("redirect_uri", []))
        if url
    )
    return ClientInfo(
        name=_text(first("name")),
        url=_http(first("url"), base),
        logo=_http(first("logo"), base),
        redirect_uris=redirects,
    )


def redirect_allowed(request: AuthorizationRequest, client: ClientInfo) -> bool:
    """Whether the app may be sent to `redirect_uri`: on client_id's own origin, or one
    the app publishes."""
    return same_origin(request.redirect_uri, request.client_id) or (
        request.redirect_uri in client.redirect_uris
    )


# ---------------------------------------------------------------------------- codes and tokens


def hash_code(code: str) -> str:
    """What the database keeps of a code."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def s256(verifier: str) -> str:
    """PKCE's S256 transform: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_code(
    author: Author, request: AuthorizationRequest, scopes: tuple[str, ...], client_name: str | None
) -> str:
    """A one-time authorization code for the scopes the author granted (the caller
    commits); returns it."""
    code = secrets.token_urlsafe(32)
    now = now_utc()
    db.session.add(
        AuthorizationCode(
            code_hash=hash_code(code),
            author_id=author.id,
            client_id=request.client_id,
            client_name=(client_name or "")[:200] or None,
            redirect_uri=request.redirect_uri,
            scope=" ".join(s for s in SCOPES_SUPPORTED if s in scopes),
            code_challenge=request.code_challenge,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return code


def redeem_code(values: Mapping[str, str]) -> AuthorizationCode:
    """The authorization code a redemption request names, used up now; `invalid_grant`
    for a code that is unknown, used, expired, or not this app's, or a wrong verifier."""
    code = values.get("code") or ""
    verifier = values.get("code_verifier") or ""
    if not code or len(code) > 200:
        raise IndieAuthError("invalid_request", "code is missing")
    if not VERIFIER.match(verifier):
        raise IndieAuthError("invalid_request", "code_verifier is missing or malformed (PKCE)")
    found = db.session.execute(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == hash_code(code))
    ).scalar_one_or_none()
    if found is None or found.used_at is not None:
        raise IndieAuthError("invalid_grant", "this code is unknown or was used already")
    # One use: of two redemptions at once only one claims the code, and a failed
    # redemption (a wrong verifier) uses it up too (the view commits the claim).
    claimed = db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == found.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now_utc())
    )
    if not getattr(claimed, "rowcount", 0):
        raise IndieAuthError("invalid_grant", "this code was used already")
    if as_utc(found.expires_at) < now_utc():
        raise IndieAuthError("invalid_grant", "this code has expired")
    if values.get("client_id") != found.client_id:
        raise IndieAuthError("invalid_grant", "this code was issued to another client_id")
    if values.get("redirect_uri") != found.redirect_uri:
        raise IndieAuthError("invalid_grant", "redirect_uri differs from the authorization's")
    if not hmac.compare_digest(s256(verifier), found.code_challenge):
        raise IndieAuthError("invalid_grant", "code_verifier does not match code_challenge")
    return found


def token_for(code: AuthorizationCode) -> tuple[str, tuple[str, ...]]:
    """An access token for a redeemed code's Micropub scopes (the caller commits)."""
    scopes = tuple(s for s in MICROPUB_SCOPES if s in code.scope.split())
    if not scopes:
        raise IndieAuthError(
            "invalid_grant",
            "no Micropub scope was granted: redeem this code at the authorization endpoint",
        )
    token = access_tokens.issue(
        code.author, scopes, client_id=code.client_id, client_name=code.client_name
    )
    return token, scopes
