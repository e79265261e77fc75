"""Screenshots of what readers and the author see, at phone and desktop widths, written to
tests/system/browser/screenshots-latest/ (git-ignored). `make screenshots` runs these (and
the editor's) and copies them to docs/screenshots/, which the README shows.

The readers' pages are of `showcase_site`: real posts of a real blog (fastpages', with their
feature images), imported as a whole site, beside the example post."""

from __future__ import annotations

import re

import pytest

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
SHOWCASE_POST = "/codespaces"
# Every picture in the window has loaded (the cards' are lazy), so none is caught blank.
PICTURES_LOADED = """() => [...document.images]
  .filter((image) => image.getBoundingClientRect().top < innerHeight)
  .every((image) => image.complete)"""


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


def open_showcase(chromium, showcase_site, width: str, scheme: str, height: int | None = None):
    """A reader's page on the showcase blog, at that width (and height, if given) and in
    that colour scheme."""
    size = dict(zip(("width", "height"), WIDTHS[width], strict=True))
    context = chromium.new_context(
        base_url=showcase_site.url,
        viewport={**size, "height": height or size["height"]},
        color_scheme=scheme,
    )
    context.set_default_timeout(10_000)
    return context


def assert_no_sideways_scroll(page, name: str, width: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width} width"


@pytest.mark.parametrize(
    ("name", "width", "scheme"),
    [
        ("post", "desktop", "light"),
        ("post", "phone", "light"),
        ("post-dark", "desktop", "dark"),
        ("post-dark", "phone", "dark"),
        ("home", "desktop", "light"),
        ("home", "phone", "light"),
    ],
)
def test_screenshot_of_a_reader_page(chromium, showcase_site, screenshots_dir, name, width, scheme):
    # Desktop pictures are taller: a post's shows the text under the feature image, the
    # home page's the cards under the lead one.
    height = (1400 if name.startswith("post") else 1150) if width == "desktop" else None
    context = open_showcase(chromium, showcase_site, width, scheme, height)
    try:
        page = context.new_page()
        page.goto(SHOWCASE_POST if name.startswith("post") else "/")
        if name.startswith("post"):
            # The real post, its feature image on top, the author under it.
            assert page.locator("figure.feature-image img").count() == 1
            assert page.locator(".author-bio .p-note").count() == 1
        else:
            assert page.locator(".cards .post-summary.with-image").count() >= 2
        page.wait_for_function(PICTURES_LOADED)
        page.evaluate("document.fonts.ready")
        path = screenshots_dir / f"{name}-{width}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 5_000
        assert_no_sideways_scroll(page, name, width)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["moderation-queue", "sign-in"])
def test_screenshot_of_an_author_page(
    new_page, sign_in, screenshots_dir, queue_has_a_comment, name, width
):
    watched = new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page = watched.page
    if name == "sign-in":
        page.goto("/admin")  # where the README sends a new author: it leads here
        assert page.url.endswith("/admin/login")
    else:
        sign_in(watched)
        page.goto("/admin/comments?status=pending")
    page.evaluate("document.fonts.ready")
    path = screenshots_dir / f"{name}-{width}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000
    assert_no_sideways_scroll(page, name, width)
