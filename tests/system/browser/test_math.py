"""A post with `$$` math, in Chromium: the MathML rendered at write time is laid out as
math (a fraction stacked, taller than a line of text) with no script and nothing the CSP
refuses, and axe finds nothing serious on the page.

The post page is the app's own answer (imported and served by the test client, headers and
all), handed to the browser at the live site's address so that the site's stylesheet
applies: the shared live site itself keeps its posts (its home page is photographed).
"""

from __future__ import annotations

from .test_accessibility import BLOCKING_IMPACTS, describe

MATH_POST = """---
title: Sums of integers
---
The sum $$\\sum_{i=1}^n i$$ of the first $$n$$ integers, halved: $$\\frac{n}{2}$$.

$$
\\sum_{i=1}^n i = \\frac{n(n+1)}{2}
$$
"""
# A formula wider than a phone (and than the desktop column): it scrolls in its own box.
# Safari gives such a box no keyboard focus (axe's scrollable-region-focusable), and the Nu
# checker allows no tabindex on <math>: left as it is, so the axe test has no wide formula.
WIDE_TEX = " + ".join(f"a_{{{i}}} x^{{{i}}}" for i in range(1, 40))
WIDE_POST = f"{MATH_POST}\n$$\n{WIDE_TEX}\n$$\n"


def serve_post(watched, live_site, client, write_post, import_posts, name: str, text: str) -> None:
    """Import the post file `name` holding `text` into the test app and open its page (the
    app's response, headers and all) in `watched` at the live site's address."""
    import_posts(write_post(name, text))
    year, month, _day, slug = name.removesuffix(".md").split("-", 3)
    permalink = f"/posts/{year}/{month}/{slug}/"  # the site's default permalink
    response = client.get(permalink)
    assert response.status_code == 200, permalink
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    body = response.get_data()
    watched.page.route(
        live_site.url + permalink,
        lambda route: route.fulfill(status=200, headers=headers, body=body),
    )
    watched.page.goto(permalink)


def serve_math_post(
    watched, live_site, client, write_post, import_posts, text: str = MATH_POST
) -> None:
    """Open the math post's page in `watched` at the live site."""
    serve_post(watched, live_site, client, write_post, import_posts, "2025-01-10-sums.md", text)


def test_math_is_laid_out_by_the_browser(reader, live_site, client, write_post, import_posts):
    serve_math_post(reader, live_site, client, write_post, import_posts)
    page = reader.page
    boxes = page.evaluate(
        """() => {
          const box = (el) => { const r = el.getBoundingClientRect();
                                return {w: r.width, h: r.height, top: r.top, bottom: r.bottom}; };
          const block = document.querySelector('math[display="block"]');
          const inline = document.querySelector('p math');
          const frac = block.querySelector('mfrac');
          const [num, den] = frac.children;
          const p = inline.closest('p');
          const range = document.createRange();
          range.setStart(p.firstChild, 0); range.setEnd(p.firstChild, 3);  // "The"
          return {block: box(block), inline: box(inline), frac: box(frac),
                  num: box(num), den: box(den), word: box(range),
                  display: getComputedStyle(block).display,
                  annotation: box(block.querySelector('annotation')),
                  mathml: typeof MathMLElement !== 'undefined' && block instanceof MathMLElement};
        }"""
    )
    assert boxes["mathml"], "the <math> element is not MathML in this browser"
    assert boxes["block"]["w"] > 0 and boxes["block"]["h"] > 0
    assert boxes["inline"]["w"] > 0 and boxes["inline"]["h"] > 0
    assert boxes["display"] == "block math" or boxes["display"].startswith("block")
    # a fraction is stacked: numerator above denominator, taller than a line of text
    assert boxes["num"]["bottom"] <= boxes["den"]["top"] + 1
    assert boxes["frac"]["h"] > 1.5 * boxes["word"]["h"], boxes
    # the TeX annotation is kept in the page but not shown
    assert boxes["annotation"]["w"] == 0 and boxes["annotation"]["h"] == 0
    assert page.locator("annotation").first.text_content() == "\\sum_{i=1}^n i"
    assert reader.csp_violations() == [] and reader.console_errors == []
    assert reader.failed_subresources == []


def test_a_math_page_has_no_serious_axe_violation(
    new_page, axe, live_site, client, write_post, import_posts
):
    watched = new_page(bypass_csp=True, viewport={"width": 1280, "height": 900})
    serve_math_post(watched, live_site, client, write_post, import_posts)
    for scheme in ("light", "dark"):
        watched.page.emulate_media(color_scheme=scheme)
        violations = axe(watched.page)["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{scheme}: {describe(blocking)}"


def test_a_wide_formula_scrolls_in_its_own_box_on_a_phone(
    new_page, live_site, client, write_post, import_posts
):
    phone = new_page(viewport={"width": 390, "height": 844})
    serve_math_post(phone, live_site, client, write_post, import_posts, WIDE_POST)
    widths = phone.page.evaluate(
        """() => {
          const root = document.documentElement;
          const wide = [...document.querySelectorAll('math[display="block"]')].pop();
          return {page: root.scrollWidth - root.clientWidth, wide: wide.scrollWidth};
        }"""
    )
    assert widths["wide"] > 390  # the formula is wider than the phone
    assert widths["page"] <= 0, f"the page scrolls sideways by {widths['page']}px at 390px"
