"""The author's images and phone in real Chromium: an image dropped on the body is uploaded
and its Markdown lands at the cursor (then served clean: Pillow reads what the site sends);
unsaved text survives a closed tab and a failed save; the editor, the moderation queue and
the media library fit a 390 px phone with a long unbroken line, a wide table and wide code."""

from __future__ import annotations

import base64
import io
import re
import uuid

from PIL import Image

LONG_WORD = "Supercalifragilistic" * 15
WIDE_TABLE = "| " + " | ".join(f"column {n}" for n in range(24)) + " |\n"
WIDE_TABLE += "|" + "---|" * 24 + "\n" + "| " + " | ".join("cell" for _ in range(24)) + " |\n"
WIDE_CODE = "```\n" + "x = [" + ", ".join(str(n) for n in range(120)) + "]\n```\n"
WIDE_BODY = f"A long line: {LONG_WORD}\n\n{WIDE_TABLE}\n{WIDE_CODE}"


def jpeg_with_gps(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def drop_file(page, selector: str, data: bytes, name: str, kind: str = "image/jpeg") -> None:
    """Drop a file on an element as a person dragging it from their desktop would."""
    transfer = page.evaluate_handle(
        """([b64, name, kind]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, {type: kind}));
          return transfer;
        }""",
        [base64.b64encode(data).decode(), name, kind],
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_an_image_dropped_on_the_body_is_uploaded_and_inserted_at_the_cursor(author, live_site):
    page = author.page
    page.goto("/admin/posts/new")
    title = f"Dropped {uuid.uuid4().hex[:6]}"
    page.get_by_label(re.compile(r"^Title")).fill(title)
    body = page.locator("textarea#body")
    body.fill("Before the picture.\n\nAfter the picture.")
    body.evaluate("(area) => { area.focus(); area.setSelectionRange(19, 19); }")
    drop_file(page, "textarea#body", jpeg_with_gps(), "Beach Day.jpg")
    page.locator("#post-form[data-upload-state=done]").wait_for()
    value = body.input_value()
    found = re.fullmatch(
        r"Before the picture\.\n\n!\[Beach Day\]\((/media/\d{4}/\d{2}/beach-day(?:-\d+)?\.jpg)\)"
        r"\n\nAfter the picture\.",
        value,
    )
    assert found, value
    page.locator("#preview img").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="View on the site").click()
    image = page.locator(".post-body img")
    assert image.get_attribute("width") == "640" and image.get_attribute("height") == "480"
    served = page.request.get(live_site.url + found.group(1))
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    picture = Image.open(io.BytesIO(served.body()))
    assert picture.size == (640, 480) and not picture.getexif().get_ifd(0x8825)
    assert author.csp_violations() == [] and author.alerts() == []


def test_a_refused_drop_says_why_and_inserts_nothing(author):
    page = author.page
    page.goto("/admin/posts/new")
    page.locator("textarea#body").fill("Text.")
    drop_file(page, "textarea#body", b"<svg onload=alert(1)>", "evil.png", "image/png")
    page.locator("#post-form[data-upload-state=refused]").wait_for()
    assert "Not uploaded" in page.locator("#upload-status").inner_text()
    assert page.locator("textarea#body").input_value() == "Text."
    assert author.alerts() == []


def test_unsaved_text_survives_a_closed_tab_and_a_failed_save(new_page, sign_in):
    first = new_page(viewport={"width": 1280, "height": 900})
    sign_in(first)
    page = first.page
    page.goto("/admin/posts/new")
    words = f"Words I must not lose {uuid.uuid4().hex[:6]}"
    page.get_by_label(re.compile(r"^Title")).fill("Kept")
    page.locator("textarea#body").fill(words)
    context = page.context
    page.close()  # the tab is closed before saving

    again = context.new_page()
    again.goto("/admin/posts/new")
    assert again.locator("textarea#body").input_value() == words
    assert "is back in the form" in again.locator("#draft-notice").inner_text()

    # A save the server refuses (a permalink that is a URL): still kept, still shown.
    again.get_by_label(re.compile(r"^Permalink")).fill("https://elsewhere.example/x")
    with again.expect_navigation():
        again.get_by_role("button", name="Save", exact=True).click()
    assert "The post was not saved" in again.content()
    again.goto("/admin/posts/new")
    assert again.locator("textarea#body").input_value() == words

    # Saved for real: the kept copy is gone.
    again.get_by_label(re.compile(r"^Permalink")).fill("")
    with again.expect_navigation():
        again.get_by_role("button", name="Save", exact=True).click()
    assert "Your post is saved." in again.content()
    again.goto("/admin/posts/new")
    assert again.locator("textarea#body").input_value() == ""
    assert again.locator("#draft-notice").count() == 0


def test_editor_queue_and_library_fit_a_phone(new_page, sign_in, live_site):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(phone)
    page = phone.page
    page.goto("/admin/posts/new")
    title = f"Wide things {uuid.uuid4().hex[:6]}"
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.locator("textarea#body").fill(WIDE_BODY)
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#preview table").wait_for()
    page.locator("#preview pre").wait_for()
    assert sideways(page) == 0, "the editor scrolls sideways"

    with page.expect_navigation():
        page.get_by_role("link", name="View on the site").click()
    post_url = page.url
    assert sideways(page) == 0, "the post page scrolls sideways"

    reader = new_page(viewport={"width": 390, "height": 844}).page
    reader.goto(post_url)
    reader.locator("#comment-name").fill("A reader with a long word")
    reader.locator("#comment-body").fill(LONG_WORD)
    with reader.expect_navigation():
        reader.get_by_role("button", name="Send comment").click()
    page.goto("/admin/comments?status=pending")
    page.locator(".queue-item").first.wait_for()
    page.locator(".queue-details summary").first.click()
    assert sideways(page) == 0, "the moderation queue scrolls sideways"

    page.goto("/admin/media")
    page.locator("#media-file").set_input_files(
        files=[
            {
                "name": "a-photo-with-an-extremely-long-name-" + "x" * 150 + ".jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_with_gps((1200, 300)),
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload", exact=True).click()
    page.locator(".media-row").first.wait_for()
    assert sideways(page) == 0, "the media library scrolls sideways"
    assert phone.csp_violations() == []
