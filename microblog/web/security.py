"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, current_app

# No inline script anywhere; images may come from anywhere a post links to.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' https: http: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the headers that every response carries, keeping any a view chose itself."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Every page names the Webmention endpoint, as an absolute URL: some senders resolve a
    # relative one against the wrong base (the final URL after a redirect, or none at all).
    site = str(current_app.config["SITE_URL"]).rstrip("/")
    response.headers.setdefault("Link", f'<{site}/webmention>; rel="webmention"')
    return response


def init_app(app: Flask) -> None:
    """Register the header hook."""
    app.after_request(add_security_headers)
