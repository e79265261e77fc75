"""Comments in Chromium: a reader comments and is told it awaits moderation, the author
approves it from the queue, the reader sees it; hostile comments never run script."""

from __future__ import annotations

import re
import uuid

import pytest

PENDING_NOTICE = re.compile(r"await(s|ing)? moderation", re.IGNORECASE)

# Everything a hostile reader might try; none of it may ever run. Each payload calls
# alert() with a distinct number so a failure says which one got through.
HOSTILE_NAME = '<script>alert(1)</script><img src=x onerror="alert(2)">'
HOSTILE_BODY = "\n\n".join(
    [
        "<script>alert(3)</script>",
        '<img src="x" onerror="alert(4)">',
        '<a href="javascript:alert(5)">click me</a>',
        "[markdown link](javascript:alert(6))",
        '<svg onload="alert(7)"></svg>',
        '<iframe src="javascript:alert(8)"></iframe>',
        '<p style="background:url(javascript:alert(9))" onclick="alert(10)">para</p>',
        "</textarea><script>alert(11)</script>",
        '"><script>alert(12)</script>',
        "<details open ontoggle=alert(13)>x</details>",
        "<form action=javascript:alert(14)><button>go</button></form>",
    ]
)


def unique(label: str) -> str:
    """A marker no other test's comment contains."""
    return f"{label} {uuid.uuid4().hex[:10]}"


def label(text: str) -> re.Pattern[str]:
    """A field's accessible name begins with its label (a hint follows it)."""
    return re.compile(rf"^{text}\b")


def fill_comment(page, *, name: str, body: str, email: str = "", url: str = "") -> None:
    """Fill the comment form under the post that is open."""
    form = page.locator("form#comment-form")
    form.get_by_label(label("Name")).fill(name)
    if email:
        form.get_by_label(label("Email")).fill(email)
    if url:
        form.get_by_label(label("Website")).fill(url)
    form.get_by_label(label("Comment")).fill(body)


def send_comment(page) -> int:
    """Press the form's button; the HTTP status of the page that comes back."""
    with page.expect_navigation() as navigation:
        page.locator("form#comment-form").get_by_role("button", name="Send comment").click()
    # 303 → the post; Playwright reports the final document's status.
    return navigation.value.status


def pending_count(page) -> int:
    """The author's pending count, as the admin navigation shows it."""
    text = page.locator("#admin-pending-count").inner_text()
    match = re.search(r"(\d+)\s+pending", text)
    assert match, text
    return int(match.group(1))


def queue_item(page, marker: str):
    """The queue entry whose text contains `marker`."""
    return page.locator("li.queue-item").filter(has_text=marker)


def act_on(page, marker: str, action: str) -> None:
    """Press one of a queued comment's buttons (Approve, Trash…) and wait for the queue."""
    button = queue_item(page, marker).get_by_role("button", name=re.compile(f"^{action}\\b"))
    with page.expect_navigation():
        button.click()


DANGEROUS_ELEMENTS = """() => {
  const found = [];
  for (const root of document.querySelectorAll('#comments, .queue-list')) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'svg', 'math', 'form', 'style',
           'base', 'meta', 'link'].includes(tag) && !el.closest('#comment-form')) {
        found.push('<' + tag + '>');
      }
      for (const attr of el.attributes) {
        const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (attr.name.startsWith('on') || attr.name === 'style' || attr.name === 'srcdoc'
            || /^(javascript|vbscript|data):/.test(value) && !['value'].includes(attr.name)) {
          found.push('<' + tag + ' ' + attr.name + '="' + attr.value + '">');
        }
      }
    }
  }
  return found;
}"""


def dangerous_elements(page) -> list[str]:
    """Elements and attributes in the comments (or the queue) that could carry script."""
    return page.evaluate(DANGEROUS_ELEMENTS)


def assert_no_script_ran(*watched) -> None:
    """No alert()/confirm()/prompt() and no CSP violation on any of these pages."""
    for each in watched:
        assert each.alerts() == [], each.page.url
        assert each.csp_violations() == [], each.page.url


def test_comment_awaits_moderation_then_appears_once_approved(
    reader, author, new_page, example, live_site
):
    marker = unique("Clear and fair, thank you.")
    page = reader.page
    page.goto(example.permalink)
    fill_comment(page, name="Ada", email="ada@example.com", body=marker)
    assert send_comment(page) == 200
    assert page.url.split("#")[0] == live_site.url + example.permalink
    notice = page.locator("#comments [role=status]")
    assert PENDING_NOTICE.search(notice.inner_text())
    mine = page.locator("li.comment-pending").filter(has_text=marker)
    assert mine.count() == 1
    assert PENDING_NOTICE.search(mine.inner_text())

    # Nobody else sees it yet.
    stranger = new_page()
    stranger.page.goto(example.permalink)
    assert stranger.page.get_by_text(marker).count() == 0

    # The author sees it in the queue, with the pending count, and approves it.
    admin = author.page
    admin.goto("/admin/comments?status=pending")
    before = pending_count(admin)
    assert before >= 1
    assert queue_item(admin, marker).count() == 1
    act_on(admin, marker, "Approve")
    assert "/admin/comments" in admin.url
    assert queue_item(admin, marker).count() == 0
    assert pending_count(admin) == before - 1

    # The reader reloads: the comment is there for everyone, no longer marked pending.
    page.reload()
    shown = page.locator("ol.comment-list li.comment").filter(has_text=marker)
    assert shown.count() == 1
    assert "comment-pending" not in (shown.get_attribute("class") or "")
    assert not PENDING_NOTICE.search(shown.inner_text())
    stranger.page.reload()
    assert stranger.page.locator("li.comment").filter(has_text=marker).count() == 1
    assert re.match(r"[1-9]\d* comments?$", page.locator("#comments-heading").inner_text())

    assert_no_script_ran(reader, author, stranger)


def test_a_reader_comments_by_keyboard_alone(reader, example):
    marker = unique("Sent without a mouse.")
    page = reader.page
    page.goto(example.permalink)
    typed = {"name": "Grace", "email": "", "url": "", "body": marker}
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.name, document.activeElement.type]")
        name, kind = focused
        if name in typed and typed[name]:
            page.keyboard.type(typed.pop(name))
        elif kind == "submit" and not any(typed.values()):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    else:
        pytest.fail(f"Tab never reached every field and the button; left to type: {typed}")
    assert PENDING_NOTICE.search(page.locator("#comments [role=status]").inner_text())
    assert page.locator("li.comment-pending").filter(has_text=marker).count() == 1


def test_the_author_signs_in_and_approves_by_keyboard_alone(reader, new_page, live_site, example):
    marker = unique("Approved from the keyboard.")
    reader.page.goto(example.permalink)
    fill_comment(reader.page, name="Linus", body=marker)
    send_comment(reader.page)

    watched = new_page()
    page = watched.page
    page.goto("/admin/login")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "username":
            break
    else:
        pytest.fail("Tab never reached the username field")
    page.keyboard.type(live_site.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(live_site.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto("/admin/comments?status=pending")

    item_id = queue_item(page, marker).get_attribute("id")
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """(id) => { const el = document.activeElement;
                         return el.closest('#' + id) !== null && el.tagName === 'BUTTON'
                                && el.innerText.trim().startsWith('Approve'); }""",
            item_id,
        )
        if focused:
            break
    else:
        pytest.fail("Tab never reached the comment's Approve button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert queue_item(page, marker).count() == 0
    reader.page.reload()
    assert reader.page.locator("ol.comment-list li.comment").filter(has_text=marker).count() == 1


def test_refused_comment_keeps_the_text_and_explains_each_field(reader, example):
    page = reader.page
    page.goto(example.permalink)
    form = page.locator("form#comment-form")
    # Skip the browser's own checks to see what the server says.
    form.evaluate("form => { form.noValidate = true; }")
    fill_comment(page, name="", email="not-an-address", body="Kept, not lost.")
    status = send_comment(page)
    assert status in (400, 422)
    form = page.locator("form#comment-form")
    assert form.get_by_label(label("Comment")).input_value().strip() == "Kept, not lost."
    assert form.get_by_label(label("Email")).input_value() == "not-an-address"
    assert page.get_by_role("alert").count() >= 1
    name_field = form.get_by_label(label("Name"))
    assert name_field.get_attribute("aria-invalid") == "true"
    # Each message is tied to its field, so a screen reader reads it with the field.
    for name in ("Name", "Email"):
        field = form.get_by_label(label(name))
        described = (field.get_attribute("aria-describedby") or "").split()
        messages = [page.locator(f"#{id_}").inner_text() for id_ in described]
        assert any(page.locator(f"#{id_}.field-error").count() for id_ in described), messages


def test_hostile_comment_never_runs_script(reader, author, new_page, example):
    marker = unique("Hostile")
    page = reader.page
    page.goto(example.permalink)
    fill_comment(page, name=HOSTILE_NAME, body=f"{marker}\n\n{HOSTILE_BODY}")
    assert send_comment(page) == 200
    # The reader's own pending copy is on the page.
    assert page.locator("li.comment-pending").filter(has_text=marker).count() == 1

    admin = author.page
    admin.goto("/admin/comments?status=pending")
    assert queue_item(admin, marker).count() == 1
    act_on(admin, marker, "Approve")

    everyone = new_page()
    everyone.page.goto(example.permalink)
    shown = everyone.page.locator("li.comment").filter(has_text=marker)
    assert shown.count() == 1
    everyone.page.goto(f"{example.permalink}comments/feed.xml")

    public = new_page()
    public.page.goto(example.permalink)
    public.page.wait_for_timeout(300)  # let any onerror/onload have its chance
    for watched in (reader, author, public):
        assert dangerous_elements(watched.page) == [], watched.page.url

    # Clicking what looks like a link runs nothing either.
    links = public.page.locator("li.comment").filter(has_text=marker).get_by_role("link")
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href") or ""
        if not href.startswith("#"):
            continue
        links.nth(i).click()
    assert_no_script_ran(reader, author, everyone, public)

    # Out of the way of the screenshots: the author trashes it.
    admin.goto("/admin/comments?status=approved")
    act_on(admin, marker, "Trash")


def test_hostile_refused_form_echo_never_runs_script(reader, example):
    page = reader.page
    page.goto(example.permalink)
    page.locator("form#comment-form").evaluate("form => { form.noValidate = true; }")
    fill_comment(
        page,
        name=HOSTILE_NAME,
        url='javascript:alert(15)//"><script>alert(16)</script>',
        body=HOSTILE_BODY,
    )
    status = send_comment(page)
    assert status in (400, 422)
    page.wait_for_timeout(300)
    form = page.locator("form#comment-form")
    assert form.get_by_label(label("Name")).input_value() == HOSTILE_NAME
    assert_no_script_ran(reader)


def test_the_csp_hooks_would_catch_a_script(new_page, example):
    """The checks above mean something: an injected inline script is blocked and reported."""
    watched = new_page()
    page = watched.page
    page.goto(example.permalink)
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'alert("inline")'; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert watched.csp_violations(), "CSP did not report the blocked inline script"
    assert watched.alerts() == []
    page.evaluate("alert('direct')")
    assert watched.alerts() == ["alert: direct"]
    assert dangerous_elements(page) == []
    page.evaluate(
        """() => document.querySelector('#comments').insertAdjacentHTML('beforeend',
                 '<img src="x" onerror="alert(1)"><a href=" javascript:alert(2)">x</a>')"""
    )
    assert len(dangerous_elements(page)) == 2
