"""Webmention endpoint discovery reads HTTP headers as HTTP has them: without case."""

from __future__ import annotations

import pytest
from local_site import LocalSite

from microblog.indieweb.sending import discover


@pytest.mark.parametrize(
    ("headers", "body", "endpoint"),
    [
        ({"link": '</lower>; rel="webmention"', "content-type": "text/html"}, "", "/lower"),
        ({"LINK": '</upper>; rel="webmention"', "CONTENT-TYPE": "text/html"}, "", "/upper"),
        ({"Link": '</mixed>; REL="Webmention"'}, "", "/mixed"),
        (
            {"content-type": "TEXT/HTML; charset=utf-8"},
            '<link rel="webmention" href="/in-html">',
            "/in-html",
        ),
        ({"Content-Type": "application/json"}, '<link rel="webmention" href="/not-html">', None),
    ],
)
def test_endpoint_discovery_matches_header_names_whatever_their_case(headers, body, endpoint):
    with LocalSite() as site:
        site.pages["/page"] = (200, headers, body)
        found = discover(site.url("/page"), allow_private=True)
        assert found == (None if endpoint is None else site.url(endpoint))
