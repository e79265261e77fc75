"""The default look as a reader meets it in Chromium, on a 375 px phone and a 1280 px desktop,
in the light and the dark scheme: nothing makes the page scroll sideways (a long code line, a
wide table and a long address scroll inside their own boxes or wrap), the text keeps a
reading measure, and the listings are cards side by side on a desktop."""

from __future__ import annotations

import pytest

WIDE_POST = """---
title: Wide things on a narrow screen
date: 2001-02-03
tags: [Layout check]
permalink: /layout/wide-things/
---
The archive lives at https://example.org/archives/2001/02/03/a-very-long-address-that-has-no-place-to-break-it-0123456789abcdefghijklmnopqrstuvwxyz/index.html
and [its mirror](https://mirror.example.org/archives/2001/02/03/another-very-long-address-with-no-place-to-break-it-0123456789/index.html)
has the same files. This paragraph goes on long enough to fill several lines at any width, so
that the number of characters on each of its lines says how wide the reading column is: a
column much wider than seventy-five characters tires the eye on the way back to the start of
the next line, and one much narrower breaks the sentences into fragments.

```python
print("a code line far wider than any phone: " + "x" * 40 + ", and then more words after it")
```

| year | month | day | posts | comments | likes | reposts | replies | mentions | words |
|------|-------|-----|-------|----------|-------|---------|---------|----------|-------|
| 2001 | February | Saturday | seventeen | one hundred | twenty | thirty | forty | fifty | 123456 |
"""
WIDE_PERMALINK = "/layout/wide-things/"
# Characters per line of the post's long paragraph: its text over its line boxes.
CHARACTERS_PER_LINE = """() => {
  const paragraph = [...document.querySelectorAll('.post-body p')]
    .find((p) => p.textContent.includes('reading column'));
  const range = document.createRange();
  range.selectNodeContents(paragraph);
  const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
  return paragraph.textContent.length / tops.size;
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def wide_post(live_site, tmp_path_factory) -> str:
    """The post above, imported into the session's blog; its permalink."""
    folder = tmp_path_factory.mktemp("wide-post")
    (folder / "2001-02-03-wide-things-on-a-narrow-screen.md").write_text(WIDE_POST)
    live_site.flask("posts", "import", str(folder))
    return WIDE_PERMALINK


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_nothing_scrolls_sideways_on_a_phone(new_page, wide_post, scheme):
    page = new_page(viewport={"width": 375, "height": 800}, color_scheme=scheme).page
    assert page.goto(wide_post).status == 200
    assert page.evaluate(OVERFLOW) <= 0, "the post scrolls sideways at 375 px"
    # The wide things are really wider than the phone, and each scrolls in its own box.
    for selector in (".post-body pre", ".post-body table"):
        box = page.locator(selector).first
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), selector
        assert box.evaluate("e => e.getBoundingClientRect().right") <= 375, selector
    # The long addresses wrap inside the column.
    for link in page.locator(".post-body a").all():
        assert link.evaluate("e => e.getBoundingClientRect().right") <= 375
    # The listing holding it does not scroll sideways either.
    page.goto("/tags/layout-check/")
    assert page.evaluate(OVERFLOW) <= 0, "the tag page scrolls sideways at 375 px"


@pytest.mark.parametrize(("width", "least", "most"), [(375, 30, 50), (1280, 60, 80)])
def test_the_text_keeps_a_reading_measure(new_page, wide_post, width, least, most):
    page = new_page(viewport={"width": width, "height": 900}).page
    page.goto(wide_post)
    characters = page.evaluate(CHARACTERS_PER_LINE)
    assert least <= characters <= most, f"{characters:.0f} characters a line at {width} px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_scheme_follows_the_system(new_page, wide_post, scheme):
    page = new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme).page
    page.goto(wide_post)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in background[4:-1].split(",")[:3])
    assert (red + green + blue < 150) == (scheme == "dark"), background


def test_listings_are_cards_side_by_side_on_a_desktop_and_stacked_on_a_phone(new_page, wide_post):
    desktop = new_page(viewport={"width": 1280, "height": 900}).page
    desktop.goto("/")
    cards = desktop.locator(".cards > .post-summary")
    assert cards.count() >= 2
    first, second = (cards.nth(i).bounding_box() for i in range(2))
    assert first["y"] == second["y"] and first["x"] < second["x"], (first, second)
    phone = new_page(viewport={"width": 375, "height": 800}).page
    phone.goto("/")
    cards = phone.locator(".cards > .post-summary")
    first, second = (cards.nth(i).bounding_box() for i in range(2))
    assert first["x"] == second["x"] and first["y"] < second["y"], (first, second)
