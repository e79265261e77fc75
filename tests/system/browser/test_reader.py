"""A reader in Chromium: home page → post → tag → the tag's feed, by mouse and by keyboard,
in light and dark colour schemes."""

from __future__ import annotations

import re

import pytest


def luminance(css_colour: str) -> float:
    """Relative luminance (0 black … 1 white) of a computed `rgb(…)`/`rgba(…)` colour."""
    red, green, blue = (int(x) / 255 for x in re.findall(r"[\d.]+", css_colour)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def test_reader_follows_home_to_post_to_tag_to_feed(reader, live_site, example):
    page = reader.page
    response = page.goto("/")
    assert response.status == 200
    assert page.title() == example.site_title
    page.get_by_role("link", name=example.title, exact=True).click()
    page.wait_for_url(live_site.url + example.permalink)
    assert page.get_by_role("heading", level=1).inner_text() == example.title

    page.locator("article.post").get_by_role("link", name=example.tag_name, exact=True).click()
    page.wait_for_url(f"{live_site.url}/tags/{example.tag_slug}/")
    assert example.tag_name in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("link", name=example.title, exact=True).count() >= 1

    # The tag's feed: advertised in <head> for feed readers and linked for people.
    advertised = page.locator("link[rel=alternate][type='application/rss+xml']")
    hrefs = [advertised.nth(i).get_attribute("href") for i in range(advertised.count())]
    assert f"/tags/{example.tag_slug}/feed.xml" in hrefs
    visible_href = page.get_by_role("link", name="RSS feed").get_attribute("href")
    assert visible_href == f"/tags/{example.tag_slug}/feed.xml"
    # Fetched the way a feed reader would (Chromium only shows XML as a tree).
    feed = page.request.get(visible_href)
    assert feed.status == 200
    assert "xml" in feed.headers["content-type"]
    body = feed.text()
    assert "<rss" in body and example.title.split(":")[0] in body

    assert reader.alerts() == []
    assert reader.csp_violations() == []
    assert reader.failed_subresources == []
    assert reader.console_errors == []


def test_unknown_address_shows_a_helpful_404(reader, live_site, example):
    page = reader.page
    response = page.goto("/no/such/post/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.get_by_role("link", name="the latest posts").click()
    page.wait_for_url(live_site.url + "/")
    assert page.get_by_role("link", name=example.title, exact=True).count() >= 1


def tab(page) -> dict[str, str]:
    """Press Tab and describe what has focus now."""
    page.keyboard.press("Tab")
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                  text: (el.innerText || el.value || el.name || '').trim(),
                  href: el.getAttribute('href') || '', name: el.name || '',
                  outline: style.outlineStyle, visible: box.width > 0 && box.height > 0};
        }"""
    )


def test_skip_link_comes_first_and_moves_focus_to_main(reader, example):
    page = reader.page
    page.goto(example.permalink)
    first = tab(page)
    assert first["text"] == "Skip to content" and first["href"] == "#main"
    assert first["visible"], "the skip link must show when it has focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab goes on from the start of the content, not back to the header.
    following = tab(page)
    assert page.evaluate("document.activeElement.closest('main') !== null"), following


def test_keyboard_reaches_every_link_in_order_with_a_visible_focus(reader, example):
    page = reader.page
    page.goto(example.permalink)
    expected = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]),'
                                              + ' textarea, select')]
                  .filter(el => el.tabIndex >= 0 && !el.disabled)
                  .map(el => el.getAttribute('href') || el.name || el.innerText.trim())"""
    )
    seen = []
    for _ in expected:
        focused = tab(page)
        seen.append(focused["href"] or focused["name"] or focused["text"])
        assert focused["visible"], f"focused element is not visible: {focused}"
        assert focused["outline"] != "none", f"no visible focus indicator on {focused}"
    assert seen == expected


def test_reader_follows_links_by_keyboard_alone(reader, live_site, example):
    page = reader.page
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip link → main
    for _ in range(20):
        focused = tab(page)
        if focused["text"] == example.title:
            break
    else:
        pytest.fail("Tab never reached the post's link from the top of the content")
    page.keyboard.press("Enter")
    page.wait_for_url(live_site.url + example.permalink)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colour_scheme_follows_the_system_setting(new_page, example, scheme):
    watched = new_page(color_scheme=scheme)
    page = watched.page
    page.goto(example.permalink)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    if scheme == "dark":
        assert luminance(background) < 0.05 < luminance(text), (background, text)
    else:
        assert luminance(background) > 0.8 > luminance(text), (background, text)
