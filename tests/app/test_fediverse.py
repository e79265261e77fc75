"""Followed from the fediverse: discovery, the signed inbox, delivery to followers, replies
as comments. The other side is a peer server on 127.0.0.1 whose signatures are made and
checked by bovine, an independent ActivityPub implementation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from bovine.models import JrdData
from comment_helpers import create_author, csrf_from, insert_post, log_in
from cryptography.hazmat.primitives import serialization
from editor_helpers import create_post, update_post
from fediverse_peer import Peer
from sqlalchemy import delete, func, select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Follower, Job, JobState, Post, Reaction

SITE = "http://blog.example"
ACTOR = SITE + "/activitypub/actor"
INBOX = SITE + "/activitypub/inbox"
AS_JSON = {"Accept": "application/activity+json"}


@pytest.fixture
def peer():
    with Peer() as server:
        yield server


@pytest.fixture
def blog(make_app):
    app = make_app(ACTIVITYPUB_ALLOW_PRIVATE=True)
    create_author(app)
    return app


def run_jobs(app, check: bool = True) -> None:
    for _ in range(3):  # a publish job queues the deliveries, which run next
        result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
        if check:
            assert result.exit_code == 0, result.output


def jobs_of(app, kind: str) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(Job).where(Job.kind == kind)
        ).scalar_one()


def deliver_to_inbox(app, peer: Peer, activity: dict, headers: dict | None = None):
    body = json.dumps(activity).encode()
    signed = peer.signed_post(INBOX, body, host="blog.example")
    return app.test_client().post(
        "/activitypub/inbox",
        data=body,
        headers={**signed, **(headers or {})},
        base_url=SITE,
    )


def follow(app, peer: Peer):
    return deliver_to_inbox(
        app,
        peer,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.actor_url + "/follows/1",
            "type": "Follow",
            "actor": peer.actor_url,
            "object": ACTOR,
        },
    )


def blog_public_key(app) -> str:
    actor = app.test_client().get("/activitypub/actor", headers=AS_JSON).get_json()
    return actor["publicKey"]["publicKeyPem"]


# ---------------------------------------------------------------------------- discovery


def test_webfinger_finds_the_author_by_handle_and_by_actor_url(blog):
    client = blog.test_client()
    for resource in ("acct:author@blog.example", ACTOR):
        answer = client.get("/.well-known/webfinger", query_string={"resource": resource})
        assert answer.status_code == 200
        assert answer.mimetype == "application/jrd+json"
        found = answer.get_json()
        assert found["subject"] == "acct:author@blog.example"
        selves = [link for link in found["links"] if link["rel"] == "self"]
        assert selves == [{"rel": "self", "type": "application/activity+json", "href": ACTOR}]
        # bovine's own model of a WebFinger answer reads it, and finds the actor.
        parsed = JrdData.model_validate_json(answer.get_data(as_text=True))
        assert parsed.subject == "acct:author@blog.example"
        assert [link.href for link in parsed.links if link.rel == "self"] == [ACTOR]
    assert client.get("/.well-known/webfinger?resource=acct:nobody@blog.example").status_code == 404
    assert client.get("/.well-known/webfinger").status_code == 400


def test_the_actor_is_a_person_with_a_2048_bit_key_kept_in_the_database(blog):
    client = blog.test_client()
    actor = client.get("/activitypub/actor", headers=AS_JSON)
    assert actor.status_code == 200
    assert actor.mimetype == "application/activity+json"
    person = actor.get_json()
    assert person["type"] == "Person"
    assert person["id"] == ACTOR
    assert person["preferredUsername"] == "author"
    for name in ("inbox", "outbox", "followers", "following"):
        assert person[name].startswith(SITE + "/activitypub/")
        assert client.get(person[name].removeprefix(SITE)).status_code in (200, 405)
    assert person["endpoints"]["sharedInbox"] == INBOX
    assert person["url"] == SITE + "/"
    assert person["publicKey"]["owner"] == ACTOR
    key = serialization.load_pem_public_key(person["publicKey"]["publicKeyPem"].encode())
    assert key.key_size == 2048
    # The same key on every request (kept, not made again).
    again = client.get("/activitypub/actor").get_json()
    assert again["publicKey"] == person["publicKey"]


def test_nodeinfo_is_linked_and_served(blog):
    client = blog.test_client()
    links = client.get("/.well-known/nodeinfo").get_json()["links"]
    assert links[0]["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    info = client.get(links[0]["href"].removeprefix(SITE)).get_json()
    assert info["version"] == "2.1"
    assert info["protocols"] == ["activitypub"]
    assert info["usage"]["users"]["total"] == 1


def test_the_home_page_shows_the_handle(blog):
    page = blog.test_client().get("/").get_data(as_text=True)
    assert "@author@blog.example" in page


def test_a_post_url_answers_an_article_to_activity_clients_and_html_to_browsers(blog):
    permalink = insert_post(
        blog,
        tag_names=["Generative AI"],
        body_html='<p>Look:</p><p><img src="/images/cat.png" alt="a cat"></p>',
    )
    client = blog.test_client()
    # HTML first (fills the cache), then JSON, then HTML again: neither is served for the other.
    for accept in (
        "text/html",
        "application/activity+json",
        "text/html",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    ):
        answer = client.get(permalink, headers={"Accept": accept})
        assert answer.status_code == 200
        assert "Accept" in answer.headers["Vary"]
        if accept == "text/html":
            assert answer.mimetype == "text/html"
            continue
        assert answer.mimetype == "application/activity+json"
        article = answer.get_json()
        assert article["type"] == "Article"
        assert article["name"] == "Hello, comments"
        assert article["url"] == SITE + permalink
        assert article["attributedTo"] == ACTOR
        assert article["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
        assert article["cc"] == [SITE + "/activitypub/followers"]
        assert article["published"] == "2025-01-15T12:00:00Z"
        assert {
            "type": "Hashtag",
            "href": SITE + "/tags/generative-ai/",
            "name": "#GenerativeAI",
        } in article["tag"]
        assert article["attachment"] == [
            {
                "type": "Image",
                "mediaType": "image/png",
                "url": SITE + "/images/cat.png",
                "name": "a cat",
            }
        ]
        assert article["replies"]["totalItems"] == 0


def test_a_note_is_a_note(blog):
    permalink = insert_post(blog, title="", slug="a-note")
    note = blog.test_client().get(permalink, headers=AS_JSON).get_json()
    assert note["type"] == "Note"
    assert "name" not in note


def test_off_means_no_actor_no_webfinger_and_html_only(make_app):
    app = make_app(ACTIVITYPUB_ENABLED=False)
    create_author(app)
    permalink = insert_post(app)
    client = app.test_client()
    assert client.get("/.well-known/webfinger?resource=acct:author@blog.example").status_code == 404
    assert client.get("/activitypub/actor").status_code == 404
    assert client.get(permalink, headers=AS_JSON).mimetype == "text/html"
    assert "@author@blog.example" not in client.get("/").get_data(as_text=True)


# ---------------------------------------------------------------------------- the inbox


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_a_follow_is_accepted_and_the_accept_is_signed_as_bovine_checks(blog, peer):
    answer = follow(blog, peer)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    with blog.app_context():
        follower = db.session.execute(select(Follower)).scalar_one()
        assert follower.accepted
        assert follower.handle == f"@bea@127.0.0.1:{peer.port}"
        assert follower.shared_inbox == peer.base + "/inbox"
    run_jobs(blog)
    (delivery,) = peer.wait_for(1)
    assert delivery[0] == "/users/bea/inbox"  # an Accept goes to the follower's own inbox
    accept = json.loads(delivery[2])
    assert accept["type"] == "Accept"
    assert accept["object"]["id"] == peer.actor_url + "/follows/1"
    assert peer.verify(delivery, blog_public_key(blog), ACTOR) == ACTOR
    followers = blog.test_client().get("/activitypub/followers").get_json()
    assert followers["totalItems"] == 1


def test_manual_approval_holds_the_follower_until_the_author_accepts(make_app, peer):
    app = make_app(ACTIVITYPUB_ALLOW_PRIVATE=True, ACTIVITYPUB_MANUAL_APPROVAL=True)
    create_author(app)
    assert app.test_client().get("/activitypub/actor").get_json()["manuallyApprovesFollowers"]
    assert follow(app, peer).status_code == 202
    run_jobs(app)
    assert peer.deliveries == []
    client = app.test_client()
    log_in(client)
    page = client.get("/admin/followers").get_data(as_text=True)
    assert f"@bea@127.0.0.1:{peer.port}" in page
    with app.app_context():
        follower_id = db.session.execute(select(Follower.id)).scalar_one()
    token = csrf_from(client, "/admin/followers")
    answer = client.post(f"/admin/followers/{follower_id}/approve", data={"csrf_token": token})
    assert answer.status_code == 303
    run_jobs(app)
    (delivery,) = peer.wait_for(1)
    assert json.loads(delivery[2])["type"] == "Accept"


def test_undo_follow_removes_the_follower(blog, peer):
    follow(blog, peer)
    undo = {
        "id": peer.actor_url + "/undo/1",
        "type": "Undo",
        "actor": peer.actor_url,
        "object": {
            "id": peer.actor_url + "/follows/1",
            "type": "Follow",
            "actor": peer.actor_url,
            "object": ACTOR,
        },
    }
    assert deliver_to_inbox(blog, peer, undo).status_code == 202
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 0


def test_unsigned_and_wrongly_signed_posts_are_refused(blog, peer):
    client = blog.test_client()
    activity = {
        "id": peer.actor_url + "/f",
        "type": "Follow",
        "actor": peer.actor_url,
        "object": ACTOR,
    }
    body = json.dumps(activity).encode()
    assert client.post("/activitypub/inbox", data=body, base_url=SITE).status_code == 401
    signed = peer.signed_post(INBOX, body, host="blog.example")
    # The body changed after signing: the Digest does not match.
    tampered = client.post("/activitypub/inbox", data=body + b" ", headers=signed, base_url=SITE)
    assert tampered.status_code == 401
    assert "Digest" in tampered.get_data(as_text=True)
    # The same Digest, but a header the signature covers changed.
    other_type = {**signed, "Content-Type": "application/json"}
    assert (
        client.post("/activitypub/inbox", data=body, headers=other_type, base_url=SITE).status_code
        == 401
    )
    # Signed for another host.
    elsewhere = peer.signed_post(INBOX, body, host="other.example")
    assert (
        client.post("/activitypub/inbox", data=body, headers=elsewhere, base_url=SITE).status_code
        == 401
    )
    # Too old.
    stale = {
        **peer.signed_post(INBOX, body, host="blog.example"),
        "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    }
    assert (
        client.post("/activitypub/inbox", data=body, headers=stale, base_url=SITE).status_code
        == 401
    )
    # A key nobody serves.
    with Peer("ghost") as ghost:
        ghost.serve_actor = False
        unknown = {**activity, "actor": ghost.actor_url}
        body = json.dumps(unknown).encode()
        headers = ghost.signed_post(INBOX, body, host="blog.example")
        answer = client.post("/activitypub/inbox", data=body, headers=headers, base_url=SITE)
        assert answer.status_code == 401
        assert "cannot be fetched" in answer.get_data(as_text=True)
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 0


def test_an_actor_cannot_speak_for_another(blog, peer):
    activity = {
        "id": "x",
        "type": "Follow",
        "actor": "http://127.0.0.1:1/users/eve",
        "object": ACTOR,
    }
    assert deliver_to_inbox(blog, peer, activity).status_code == 401


def test_a_body_over_1_mb_is_413(blog, peer):
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    headers = peer.signed_post(INBOX, body, host="blog.example")
    answer = blog.test_client().post(
        "/activitypub/inbox", data=body, headers=headers, base_url=SITE
    )
    assert answer.status_code == 413


def test_a_rotated_remote_key_is_fetched_again(blog, peer):
    assert follow(blog, peer).status_code == 202
    # The peer makes a new key: its next request is signed with it, and verifies once the
    # blog fetched the actor again.
    from bovine.crypto import generate_rsa_public_private_key

    peer.public_pem, peer.private_pem = generate_rsa_public_private_key()
    with blog.app_context():
        from microblog.models import RemoteActor

        actor = db.session.execute(select(RemoteActor)).scalar_one()
        actor.fetched_at = actor.fetched_at.replace(year=2020)
        db.session.commit()
    assert follow(blog, peer).status_code == 202


# ---------------------------------------------------------------------------- replies


def reply_note(peer: Peer, in_reply_to: str, number: int = 1, text: str = "Nice post!") -> dict:
    return {
        "id": f"{peer.actor_url}/statuses/{number}",
        "type": "Note",
        "attributedTo": peer.actor_url,
        "inReplyTo": in_reply_to,
        "content": f"<p>{text}<script>alert(1)</script></p>",
        "published": "2025-02-01T10:00:00Z",
        "url": f"{peer.base}/@bea/{number}",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


def create(peer: Peer, note: dict) -> dict:
    return {
        "id": note["id"] + "/activity",
        "type": "Create",
        "actor": peer.actor_url,
        "object": note,
    }


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_a_reply_waits_for_moderation_then_shows_and_its_delete_removes_it(blog, peer):
    permalink = insert_post(blog)
    note = reply_note(peer, SITE + permalink)
    assert deliver_to_inbox(blog, peer, create(peer, note)).status_code == 202
    # Sent twice (servers retry): one comment.
    assert deliver_to_inbox(blog, peer, create(peer, note)).status_code == 202
    with blog.app_context():
        (comment,) = db.session.execute(select(Comment)).scalars().all()
        assert comment.status == CommentStatus.PENDING
        assert comment.author_name == "Bea Remote"
        assert comment.source_url == f"{peer.base}/@bea/1"
        assert "<script>" not in comment.body_html and "Nice post!" in comment.body_html
        comment_id = comment.id
    client = blog.test_client()
    assert "Nice post!" not in client.get(permalink).get_data(as_text=True)
    author = blog.test_client()
    log_in(author)
    assert "Nice post!" in author.get("/admin/comments?status=pending").get_data(as_text=True)
    token = csrf_from(author, "/admin/comments?status=pending")
    assert (
        author.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token}).status_code
        == 303
    )
    assert "Nice post!" in client.get(permalink).get_data(as_text=True)
    replies = client.get(permalink, headers=AS_JSON).get_json()["replies"]
    assert replies["items"] == [note["id"]]
    # An edit from its author is read again before it shows.
    changed = {**note, "content": "<p>Nicer post!</p>"}
    update = {"id": note["id"] + "#u", "type": "Update", "actor": peer.actor_url, "object": changed}
    assert deliver_to_inbox(blog, peer, update).status_code == 202
    with blog.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.status == CommentStatus.PENDING
        assert "Nicer post!" in comment.body_html
    delete = {
        "id": note["id"] + "#delete",
        "type": "Delete",
        "actor": peer.actor_url,
        "object": {"id": note["id"], "type": "Tombstone"},
    }
    assert deliver_to_inbox(blog, peer, delete).status_code == 202
    with blog.app_context():
        assert db.session.get(Comment, comment_id) is None


def test_a_reply_to_an_approved_comment_joins_its_thread(blog, peer):
    permalink = insert_post(blog)
    with blog.app_context():
        from microblog.models import Post

        post = db.session.execute(select(Post)).scalar_one()
        parent = Comment(
            post_id=post.id,
            author_name="Ann",
            body_source="Hi",
            body_html="<p>Hi</p>",
            status=CommentStatus.APPROVED,
        )
        db.session.add(parent)
        db.session.commit()
        parent_id = parent.id
    note = reply_note(peer, f"{SITE}{permalink}#comment-{parent_id}")
    assert deliver_to_inbox(blog, peer, create(peer, note)).status_code == 202
    with blog.app_context():
        reply = db.session.execute(select(Comment).where(Comment.id != parent_id)).scalar_one()
        assert reply.parent_id == parent_id


def test_a_note_answering_nothing_of_ours_is_no_comment(blog, peer):
    insert_post(blog)
    note = reply_note(peer, "https://elsewhere.example/posts/1")
    assert deliver_to_inbox(blog, peer, create(peer, note)).status_code == 202
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Comment)).scalar_one() == 0


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_likes_and_announces_are_counted_never_comments(blog, peer):
    permalink = insert_post(blog)
    for kind in ("Like", "Announce", "Like"):
        activity = {
            "id": f"{peer.actor_url}/{kind}",
            "type": kind,
            "actor": peer.actor_url,
            "object": SITE + permalink,
        }
        assert deliver_to_inbox(blog, peer, activity).status_code == 202
    with blog.app_context():
        kinds = sorted(db.session.execute(select(Reaction.kind)).scalars())
        assert kinds == ["like", "repost"]
        assert db.session.execute(select(func.count()).select_from(Comment)).scalar_one() == 0
    page = blog.test_client().get(permalink).get_data(as_text=True)
    assert "1 like" in page and "1 repost" in page
    assert "Bea Remote" not in page
    undo = {
        "id": f"{peer.actor_url}/undo-like",
        "type": "Undo",
        "actor": peer.actor_url,
        "object": {"id": f"{peer.actor_url}/Like", "type": "Like"},
    }
    assert deliver_to_inbox(blog, peer, undo).status_code == 202
    page = blog.test_client().get(permalink).get_data(as_text=True)
    assert "1 like" not in page and "1 repost" in page


def test_a_blocked_domain_is_not_heard(blog, peer):
    permalink = insert_post(blog)
    client = blog.test_client()
    log_in(client)
    token = csrf_from(client, "/admin/followers")
    answer = client.post(
        "/admin/followers/block", data={"csrf_token": token, "kind": "domain", "value": "127.0.0.1"}
    )
    assert answer.status_code == 303
    assert (
        deliver_to_inbox(blog, peer, create(peer, reply_note(peer, SITE + permalink))).status_code
        == 202
    )
    assert follow(blog, peer).status_code == 202
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Comment)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 0


# ---------------------------------------------------------------------------- delivery


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_publishing_editing_and_deleting_go_to_followers_signed(blog, peer):
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)
    author = blog.test_client()
    log_in(author)
    created = create_post(author, title="Fresh news", published_at="")
    assert created.status_code == 303
    post_id = int(created.headers["Location"].rstrip("/").split("/")[-2])
    run_jobs(blog)
    deliveries = peer.wait_for(2)
    assert len(deliveries) == 2
    path, _headers, body = deliveries[1]
    assert path == "/inbox"  # the shared inbox
    activity = json.loads(body)
    assert activity["type"] == "Create"
    assert activity["object"]["type"] == "Article"
    assert activity["object"]["name"] == "Fresh news"
    assert peer.verify(deliveries[1], blog_public_key(blog), ACTOR) == ACTOR
    object_id = activity["object"]["id"]

    assert (
        update_post(author, post_id, title="Fresh news, corrected", published_at="").status_code
        == 303
    )
    run_jobs(blog)
    update = json.loads(peer.wait_for(3)[2][2])
    assert update["type"] == "Update"
    assert update["object"]["id"] == object_id
    assert update["object"]["name"] == "Fresh news, corrected"

    token = csrf_from(author, f"/admin/posts/{post_id}/edit")
    deleted = author.post(
        f"/admin/posts/{post_id}/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert deleted.status_code in (200, 303)
    run_jobs(blog)
    activities = peer.activities()
    assert activities[-1]["type"] == "Delete"
    assert activities[-1]["object"]["id"] == object_id


def test_a_draft_is_not_sent_until_published(blog, peer):
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)
    author = blog.test_client()
    log_in(author)
    create_post(author, title="Not yet", draft="on", published_at="")
    run_jobs(blog)
    assert len(peer.deliveries) == 1


def test_an_import_never_delivers_old_posts(blog, peer, tmp_path, import_posts):
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)
    folder = tmp_path / "_posts"
    folder.mkdir()
    (folder / "2020-01-01-old.md").write_text("---\ntitle: Old\n---\nFrom the archive.\n")
    import_posts(folder)
    (folder / "2020-01-01-old.md").write_text("---\ntitle: Old\n---\nFrom the archive, again.\n")
    import_posts(folder)
    run_jobs(blog)
    assert jobs_of(blog, "fediverse.publish") == 0
    assert len(peer.deliveries) == 1


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_one_delivery_per_shared_inbox(blog):
    with blog.app_context():
        for number in range(5):
            db.session.add(
                Follower(
                    actor_url=f"https://a.example/users/{number}",
                    inbox=f"https://a.example/users/{number}/inbox",
                    shared_inbox="https://a.example/inbox",
                    accepted=True,
                )
            )
        db.session.add(
            Follower(
                actor_url="https://b.example/u", inbox="https://b.example/u/inbox", accepted=True
            )
        )
        db.session.commit()
    author = blog.test_client()
    log_in(author)
    create_post(author, title="To everyone", published_at="")
    blog.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    with blog.app_context():
        inboxes = sorted(
            job.args["inbox"]
            for job in db.session.execute(
                select(Job).where(Job.kind == "fediverse.deliver")
            ).scalars()
        )
    assert inboxes[:2] == ["https://a.example/inbox", "https://b.example/u/inbox"] or inboxes == [
        "https://a.example/inbox",
        "https://b.example/u/inbox",
    ]


def test_rotate_key_makes_a_new_key_and_tells_followers(blog, peer):
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)
    before = blog_public_key(blog)
    result = blog.test_cli_runner().invoke(args=["fediverse", "rotate-key"])
    assert result.exit_code == 0, result.output
    after = blog_public_key(blog)
    assert after != before
    run_jobs(blog)
    deliveries = peer.wait_for(2)
    update = json.loads(deliveries[1][2])
    assert update["type"] == "Update" and update["object"]["type"] == "Person"
    assert update["object"]["publicKey"]["publicKeyPem"] == after
    assert peer.verify(deliveries[1], after, ACTOR) == ACTOR
    assert peer.verify(deliveries[1], before, ACTOR) is None


def test_the_authors_reply_to_a_fediverse_comment_goes_back_as_a_note(blog, peer):
    permalink = insert_post(blog)
    note = reply_note(peer, SITE + permalink)
    deliver_to_inbox(blog, peer, create(peer, note))
    with blog.app_context():
        comment_id = db.session.execute(select(Comment.id)).scalar_one()
    author = blog.test_client()
    log_in(author)
    token = csrf_from(author, "/admin/comments?status=pending")
    answer = author.post(
        f"/admin/comments/{comment_id}/reply",
        data={"csrf_token": token, "reply": "Thank you, Bea!"},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    run_jobs(blog)
    sent = [a for a in peer.activities() if a["type"] == "Create"]
    assert len(sent) == 1
    reply = sent[0]["object"]
    assert reply["type"] == "Note"
    assert reply["inReplyTo"] == note["id"]
    assert peer.actor_url in reply["to"]
    assert "Thank you, Bea!" in reply["content"]


def delivery_jobs(app) -> list[Job]:
    with app.app_context():
        query = select(Job).where(Job.kind == "fediverse.deliver").order_by(Job.id)
        return list(db.session.execute(query).scalars())


# Unique constraints, bulk job inserts and claims: on each database.
@pytest.mark.any_database(cleanup=True)
def test_a_failing_server_is_retried_later_then_given_up_and_a_refusal_at_once(blog, peer):
    follow(blog, peer)
    peer.answer = 503
    run_jobs(blog, check=False)
    (job,) = delivery_jobs(blog)
    assert job.state == JobState.WAITING  # retried later, with backoff
    assert job.attempts == 1 and "503" in job.last_error
    assert job.due_at > job.created_at
    # Days later it still fails: given up.
    with blog.app_context():
        row = db.session.get(Job, job.id)
        row.args = {**row.args, "first_try": "2020-01-01T00:00:00+00:00"}
        row.due_at = row.created_at
        db.session.commit()
    run_jobs(blog, check=False)
    (job,) = delivery_jobs(blog)
    assert job.state == JobState.FAILED
    assert "failed for over 3 days" in job.last_error
    # A server that refuses the activity (4xx) is not asked again.
    peer.answer = 400
    with blog.app_context():
        db.session.execute(delete(Job))
        db.session.commit()
    follow(blog, peer)
    run_jobs(blog, check=False)
    (job,) = delivery_jobs(blog)
    assert job.state == JobState.FAILED and job.attempts == 1


def test_a_scheduled_post_goes_out_when_it_goes_live(blog, peer):
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)
    author = blog.test_client()
    log_in(author)
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert create_post(author, title="Tomorrow's news", published_at=later).status_code == 303
    run_jobs(blog)
    assert len(peer.deliveries) == 1  # not yet
    with blog.app_context():
        job = db.session.execute(select(Job).where(Job.kind == "fediverse.publish")).scalar_one()
        assert job.state == JobState.WAITING
        assert job.due_at > datetime.now(UTC) + timedelta(days=1)
        # Two days pass.
        post = db.session.execute(select(Post).where(Post.title == "Tomorrow's news")).scalar_one()
        post.published_at = datetime.now(UTC) - timedelta(minutes=1)
        job.due_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    run_jobs(blog)
    created = json.loads(peer.wait_for(2)[1][2])
    assert created["type"] == "Create"
    assert created["object"]["name"] == "Tomorrow's news"


def test_the_author_removes_and_blocks_followers(blog, peer):
    follow(blog, peer)
    client = blog.test_client()
    assert client.get("/admin/followers").status_code in (302, 303)  # signed in only
    log_in(client)
    page = client.get("/admin/followers").get_data(as_text=True)
    assert "Bea Remote" in page and "@author@blog.example" in page
    with blog.app_context():
        follower_id = db.session.execute(select(Follower.id)).scalar_one()
    token = csrf_from(client, "/admin/followers")
    assert (
        client.post(
            f"/admin/followers/{follower_id}/remove", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert "Nobody follows the blog yet." in client.get("/admin/followers").get_data(as_text=True)
    # Removed, it may follow again; blocked, it may not.
    assert follow(blog, peer).status_code == 202
    form = {"csrf_token": token, "kind": "actor", "value": peer.actor_url}
    assert client.post("/admin/followers/block", data=form).status_code == 303
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 0
    assert follow(blog, peer).status_code == 202
    page = client.get("/admin/followers").get_data(as_text=True)
    assert "Nobody follows the blog yet." in page and peer.actor_url in page
    # Lifted, it may follow again.
    with blog.app_context():
        from microblog.models import Block

        block_id = db.session.execute(select(Block.id)).scalar_one()
    assert (
        client.post(
            f"/admin/followers/blocks/{block_id}/remove", data={"csrf_token": token}
        ).status_code
        == 303
    )
    follow(blog, peer)
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 1
    # Nothing to block: said so, nothing stored.
    client.post(
        "/admin/followers/block", data={"csrf_token": token, "kind": "domain", "value": " "}
    )
    with blog.app_context():
        assert db.session.execute(select(func.count()).select_from(Block)).scalar_one() == 0


def test_an_approved_reply_goes_out_to_followers_and_a_waiting_one_never(blog, peer):
    permalink = insert_post(blog)
    follow(blog, peer)
    run_jobs(blog)
    peer.wait_for(1)  # the Accept
    note = reply_note(peer, SITE + permalink)
    deliver_to_inbox(blog, peer, create(peer, note))
    run_jobs(blog)
    assert len(peer.deliveries) == 1  # waiting for moderation: nothing goes out
    with blog.app_context():
        comment_id = db.session.execute(select(Comment.id)).scalar_one()
    author = blog.test_client()
    log_in(author)
    token = csrf_from(author, "/admin/comments?status=pending")
    author.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token})
    run_jobs(blog)
    delivery = peer.wait_for(2)[1]
    announce = json.loads(delivery[2])
    assert announce["type"] == "Announce"
    assert announce["object"] == note["id"]
    assert peer.verify(delivery, blog_public_key(blog), ACTOR) == ACTOR


def test_a_server_cannot_pass_its_key_off_as_another_servers_actor(blog, peer):
    with Peer("mallory") as mallory:
        # Mallory's server serves a document claiming to be Bea's actor, with its own key.
        document = mallory.actor_document()
        mallory.actor_document = lambda: {**document, "id": peer.actor_url}  # type: ignore[method-assign]
        activity = {"id": "x", "type": "Follow", "actor": peer.actor_url, "object": ACTOR}
        body = json.dumps(activity).encode()
        headers = mallory.signed_post(INBOX, body, host="blog.example")
        client = blog.test_client()
        answer = client.post("/activitypub/inbox", data=body, headers=headers, base_url=SITE)
        assert answer.status_code == 401
    with blog.app_context():
        from microblog.models import RemoteActor

        assert db.session.execute(select(func.count()).select_from(RemoteActor)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(Follower)).scalar_one() == 0
