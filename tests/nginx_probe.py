"""A stand-in app for testing deploy/nginx.conf's own rules: `gunicorn nginx_probe:app`.

Every answer names how many requests this process has served and echoes what nginx told it,
so a test sees whether an answer came from the cache (the count did not move) and which
headers reached the app. The path picks the answer's caching headers:

    /public/…        200, `Cache-Control: public, max-age=0` (what the blog sends on pages)
    /private/…       200, `Cache-Control: private, no-store`
    /no-cache/…      200, `Cache-Control: no-cache`
    /set-cookie/…    200, public, but it sets a cookie
    /status/<code>/… that status, public

Run it with one worker and one thread, so the count is the app's and not a worker's.
"""

from __future__ import annotations

import itertools
import json
import time

COUNTER = itertools.count(1)
ECHOED = (
    "HTTP_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_FORWARDED",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_CONNECTION",
    "HTTP_COOKIE",
    "SCRIPT_NAME",
    "REQUEST_METHOD",
    "QUERY_STRING",
    "REMOTE_PORT",
    "SERVER_PROTOCOL",
    "wsgi.url_scheme",
)
CACHE_CONTROL = {
    "public": "public, max-age=0",
    "private": "private, no-store",
    "no-cache": "no-cache",
    "set-cookie": "public, max-age=0",
    "status": "public, max-age=0",
}
REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 500: "Internal Server Error"}


def app(environ, start_response):
    """Answer with the request count and the echoed environment."""
    served = next(COUNTER)
    parts = environ.get("PATH_INFO", "/").strip("/").split("/")
    kind = parts[0] if parts[0] in CACHE_CONTROL else "public"
    status = int(parts[1]) if kind == "status" and len(parts) > 1 else 200
    echoed = {name: environ.get(name) for name in ECHOED}
    # `at`: when the app answered, by its clock (how long nginx kept an answer, seen from here).
    body = json.dumps({"served": served, "at": time.time(), **echoed}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", CACHE_CONTROL[kind]),
    ]
    if kind == "set-cookie":
        headers.append(("Set-Cookie", f"visitor={served}; Path=/"))
    if status == 301:
        headers.append(("Location", "/public/moved"))
    start_response(f"{status} {REASONS.get(status, 'Whatever')}", headers)
    return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]
