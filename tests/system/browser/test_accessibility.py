"""axe-core on every kind of page, in the light and the dark colour scheme: no serious or
critical violation, and no colour-contrast failure at all."""

from __future__ import annotations

import re
import uuid

import pytest

PAGES = [
    "home",
    "post",
    "tag-index",
    "tag",
    "not-found",
    "login",
    "login-error",
    "moderation-queue",
    "comment-form-errors",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def leave_pending_comment(page, permalink: str) -> None:
    """Send a comment from this page's context so the moderation queue is not empty."""
    page.goto(permalink)
    form = page.locator("form#comment-form")
    form.get_by_label(re.compile(r"^Name\b")).fill("Axe")
    form.get_by_label(re.compile(r"^Comment\b")).fill(f"Checked by axe {uuid.uuid4().hex[:8]}")
    with page.expect_navigation():
        form.get_by_role("button", name="Send comment").click()


def open_named_page(name: str, watched, example, sign_in) -> None:
    """Bring the page called `name` into its state worth checking."""
    page = watched.page
    if name == "home":
        page.goto("/")
    elif name == "post":
        page.goto(example.permalink)
    elif name == "tag-index":
        page.goto("/tags/")
    elif name == "tag":
        page.goto(f"/tags/{example.tag_slug}/")
    elif name == "not-found":
        assert page.goto("/no/such/page/").status == 404
    elif name == "login":
        page.goto("/admin/login")
    elif name == "login-error":
        page.goto("/admin/login")
        page.locator("input[name=username]").fill("nobody")
        page.locator("input[name=password]").fill("wrong password")
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign in").click()
        assert 400 <= navigation.value.status < 500
    elif name == "moderation-queue":
        leave_pending_comment(page, example.permalink)
        sign_in(watched)
        page.goto("/admin/comments?status=pending")
        assert page.locator("li.queue-item").count() >= 1
    elif name == "comment-form-errors":
        page.goto(example.permalink)
        form = page.locator("form#comment-form")
        form.evaluate("form => { form.noValidate = true; }")
        form.get_by_label(re.compile(r"^Email\b")).fill("not-an-address")
        with page.expect_navigation() as navigation:
            form.get_by_role("button", name="Send comment").click()
        assert navigation.value.status in (400, 422)
        assert page.locator(".field-error").count() >= 1
    else:  # pragma: no cover - a typo in PAGES
        raise AssertionError(name)


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_violation_light_or_dark(new_page, axe, example, sign_in, name):
    # The CSP (rightly) refuses axe's injected script, so only these contexts bypass it.
    watched = new_page(
        bypass_csp=True, color_scheme="light", viewport={"width": 1280, "height": 900}
    )
    open_named_page(name, watched, example, sign_in)
    problems = []
    for scheme in ("light", "dark"):
        # The same page again as a system in dark mode shows it (no reload needed).
        watched.page.emulate_media(color_scheme=scheme)
        dark = watched.page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (scheme == "dark")
        result = axe(watched.page)
        violations = result["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        contrast = [v for v in violations if v["id"] == "color-contrast" and v not in blocking]
        if blocking or contrast:
            problems.append(f"{scheme}:{describe(blocking + contrast)}")
        # Contrast was measured, not skipped: axe checked text and could decide every case.
        assert "color-contrast" in {rule["id"] for rule in result["passes"]}, scheme
        assert "color-contrast" not in {rule["id"] for rule in result["incomplete"]}, scheme
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["post", "comment-form-errors"])
def test_axe_at_phone_width(new_page, axe, example, sign_in, name):
    watched = new_page(bypass_csp=True, viewport={"width": 390, "height": 844})
    open_named_page(name, watched, example, sign_in)
    violations = axe(watched.page)["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, describe(blocking)
    # Nothing wider than the phone: no sideways scrolling to read.
    overflow = watched.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"


def test_axe_would_catch_poor_contrast(new_page, axe, example):
    """The control: the checks above pass because the pages are good, not because axe is blind."""
    watched = new_page(bypass_csp=True)
    watched.page.goto(example.permalink)
    watched.page.evaluate(
        """() => { const p = document.createElement('p'); p.textContent = 'Hard to read';
                   p.style.color = '#888'; p.style.background = '#999';
                   document.querySelector('main').append(p); }"""
    )
    ids = {violation["id"] for violation in axe(watched.page)["violations"]}
    assert "color-contrast" in ids


def describe(violations) -> str:
    """axe's findings as lines a person can act on."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:6]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n" + "\n".join(lines)
