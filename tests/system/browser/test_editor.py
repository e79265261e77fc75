"""The author writes in the browser: the live preview follows the typing, a save is on the
site and in the feed at once, two tabs editing one post meet the 409 page and lose nothing,
and the editor passes axe at desktop and phone widths. Also the editor's screenshots."""

from __future__ import annotations

import re
import uuid

import feedparser
import pytest

from .test_accessibility import BLOCKING_IMPACTS, describe

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
SAMPLE_BODY = (
    "Tea with the neighbours, and a few notes on **rain**.\n\n"
    "- the gutters sing\n- the cat disapproves\n\n"
    "> Some days the weather is the whole story.\n"
)


def save(page) -> None:
    """Press Save and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()


def write_post(page, title: str, body: str = SAMPLE_BODY) -> str:
    """Write and save a post from /admin/posts/new; returns its edit page's URL."""
    page.goto("/admin/posts/new")
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Body")).fill(body)
    page.get_by_label(re.compile(r"^Tags")).fill("Browser, Café")
    save(page)
    assert re.search(r"/admin/posts/\d+/edit$", page.url), page.url
    return page.url


def test_write_watch_the_preview_save_and_read_it(author, live_site):
    page = author.page
    title = f"Written in the browser {uuid.uuid4().hex[:6]}"
    page.goto("/admin/posts/new")
    page.get_by_label(re.compile(r"^Title")).fill(title)
    body = page.get_by_label(re.compile(r"^Body"))
    body.press_sequentially("Hello **there**", delay=20)
    preview = page.locator("#preview")
    preview.locator("strong", has_text="there").wait_for()
    body.press_sequentially(" from the *browser*, and `code`.", delay=20)
    preview.locator("em", has_text="browser").wait_for()
    preview.locator("code", has_text="code").wait_for()
    assert author.csp_violations() == [] and author.alerts() == []
    save(page)
    assert "Your post is saved." in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="View on the site").click()
    assert page.locator("h1").inner_text() == title
    assert page.locator(".post-body em").inner_text() == "browser"
    feed = feedparser.parse(page.request.get(live_site.url + "/feed.xml").body())
    assert feed.entries[0].title == title
    assert page.request.get(live_site.url + "/").text().count(title) >= 1
    assert author.console_errors == [] and author.failed_subresources == []


def test_two_tabs_meet_the_409_page_and_keep_their_words(author, chromium, live_site):
    edit_url = write_post(author.page, f"Two tabs {uuid.uuid4().hex[:6]}")
    first = author.page
    second = first.context.new_page()
    second.goto(edit_url)
    first.goto(edit_url)
    first.get_by_label(re.compile(r"^Body")).fill("The first tab's version.")
    save(first)
    second.get_by_label(re.compile(r"^Body")).fill("The second tab's careful words.")
    with second.expect_navigation() as navigation:
        second.get_by_role("button", name="Save", exact=True).click()
    assert navigation.value.status == 409
    assert second.get_by_role("heading", name="This post changed since you opened it").is_visible()
    assert second.locator("#saved-body").input_value() == "The first tab's version."
    assert second.locator("textarea[name=body]").input_value() == "The second tab's careful words."
    save(second)  # saving again replaces the newer version on purpose
    assert second.locator("textarea[name=body]").input_value() == "The second tab's careful words."
    assert "Saved." in second.content()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_editor_passes_axe_and_fits(new_page, axe, sign_in, width):
    watched = new_page(
        bypass_csp=True, viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True))
    )
    sign_in(watched)
    edit_url = write_post(watched.page, f"Checked by axe {uuid.uuid4().hex[:6]}")
    for path in (edit_url, "/admin/posts", "/admin/posts/new"):
        watched.page.goto(path)
        violations = axe(watched.page)["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{path}: {describe(blocking)}"
        overflow = watched.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width} width"


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshot_of_the_editor(new_page, sign_in, screenshots_dir, width):
    watched = new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in(watched)
    page = watched.page
    page.goto("/admin/posts/new")
    page.get_by_label(re.compile(r"^Title")).fill("Rain, and tea")
    page.get_by_label(re.compile(r"^Tags")).fill("Notes, Weather")
    page.get_by_label(re.compile(r"^Body")).fill(SAMPLE_BODY)
    page.get_by_label(re.compile(r"^Body")).press("End")
    page.locator("#preview blockquote").wait_for()
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    page.evaluate("document.fonts.ready")
    path = screenshots_dir / f"editor-{width}.png"
    page.screenshot(path=str(path), full_page=width == "phone")
    assert path.stat().st_size > 5_000
