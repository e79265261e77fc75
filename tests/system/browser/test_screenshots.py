"""Screenshots of the post page, a tag page and the moderation queue at phone and desktop
widths, written to tests/system/browser/screenshots-latest/ (git-ignored). The README shows copies
of them from docs/screenshots/."""

from __future__ import annotations

import re

import pytest

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def queue_has_a_comment(chromium, live_site, example) -> None:
    """A friendly pending comment, so the queue's picture shows what moderating looks like."""
    context = chromium.new_context(base_url=live_site.url)
    page = context.new_page()
    page.goto(example.permalink)
    form = page.locator("form#comment-form")
    form.get_by_label(re.compile(r"^Name\b")).fill("Grace")
    form.get_by_label(re.compile(r"^Website\b")).fill("https://grace.example")
    form.get_by_label(re.compile(r"^Comment\b")).fill(
        "The royalty idea is interesting. Who would keep track of which works a model "
        "learned from, though? That seems like the hard part."
    )
    with page.expect_navigation():
        form.get_by_role("button", name="Send comment").click()
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["post", "tag", "moderation-queue", "sign-in"])
def test_screenshot(
    new_page, sign_in, example, screenshots_dir, queue_has_a_comment, live_site, name, width
):
    watched = new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page = watched.page
    if name == "post":
        page.goto(example.permalink)
    elif name == "tag":
        page.goto(f"/tags/{example.tag_slug}/")
    elif name == "sign-in":
        page.goto("/admin")  # where the README sends a new author: it leads here
        assert page.url.endswith("/admin/login")
    else:
        sign_in(watched)
        page.goto("/admin/comments?status=pending")
    page.evaluate("document.fonts.ready")
    path = screenshots_dir / f"{name}-{width}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000
    # Nothing on the page is wider than the screen.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width} width"
