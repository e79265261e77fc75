"""The hostile-input table through the whole path, with both sanitiser backends:
stored, shown in the author's queue, approved, shown on the post and in the comment feed."""

from __future__ import annotations

import re

import pytest
from comment_helpers import comments_in_db, create_author, csrf_from, insert_post, log_in
from hostile_input import HOSTILE, assert_inert

from microblog.comments.sanitize import BACKENDS

BODY_RE = re.compile(r'<div class="comment-body[^"]*">\s*(.*?)\s*</div>', re.DOTALL)


def shown_bodies(html: str) -> list[str]:
    """Every comment body on a page (the allow-list has no div, so this cannot be fooled)."""
    return BODY_RE.findall(html)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_comment_through_the_whole_path(make_app, backend, case):
    app = make_app(SANITIZER=backend)
    path = insert_post(app)
    create_author(app)
    reader = app.test_client()
    page = reader.get(path).get_data(as_text=True)
    token = re.search(r'name="comment_token" value="([^"]+)"', page).group(1)
    hostile = HOSTILE[case]
    sent = reader.post(
        path + "comments",
        data={
            "name": hostile[:100],
            "url": 'https://reader.example/?q="><script>alert(1)</script>',
            "body": hostile,
            "comment_token": token,
        },
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    [stored] = comments_in_db(app)
    assert "\x00" not in stored.body_source and "\x00" not in stored.author_name
    assert_inert(stored.body_html)

    # The reader's own pending view.
    mine = shown_bodies(reader.get(path).get_data(as_text=True))
    assert mine == [stored.body_html]

    author = app.test_client()
    assert log_in(author).status_code == 303
    queue = author.get("/admin/comments?status=pending").get_data(as_text=True)
    assert shown_bodies(queue) == [stored.body_html]
    assert "<script>alert(1)</script>" not in queue  # the URL and name are escaped

    token = csrf_from(author, "/admin/comments")
    approved = author.post(f"/admin/comments/{stored.id}/approve", data={"csrf_token": token})
    assert approved.status_code == 303

    public = app.test_client().get(path).get_data(as_text=True)
    assert shown_bodies(public) == [stored.body_html]
    assert "<script>alert(1)</script>" not in public
    for body in shown_bodies(public):
        assert_inert(body)

    feed = app.test_client().get(path + "comments/feed.xml")
    assert feed.status_code == 200
    assert "<script" not in feed.get_data(as_text=True)
