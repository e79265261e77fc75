"""The job that makes an upload's WebP variants, then gives them to the posts and pages that
show the image (their stored HTML gains the `srcset`, as a save would have written it)."""

from __future__ import annotations

from flask import current_app

from microblog import jobs
from microblog.extensions import db
from microblog.models import Media
from microblog.posts import media as uploads
from microblog.posts.site_changes import mark_site_changed


@jobs.task("media.variants", attempts=3)
def make_variants(media_id: int) -> None:
    """Write the variants of one upload and refresh the HTML of what shows it."""
    media = db.session.get(Media, media_id)
    if media is None:
        return  # deleted before its turn
    folder = current_app.config["MEDIA_FOLDER"]
    uploads.turn_upright(folder, media)
    media.variants = uploads.make_variants(folder, media)
    db.session.flush()
    refresh_users(media)


def refresh_users(media: Media) -> None:
    """Re-size the images in the stored HTML of the posts and pages that show `media`."""
    site_url = str(current_app.config["SITE_URL"])
    posts, pages = uploads.used_by(db.session, media)
    for post in posts:
        post.body_html = uploads.enhance_body(db.session, post.body_html, site_url)
        post.excerpt_html = uploads.enhance_body(db.session, post.excerpt_html, site_url)
    for page in pages:
        page.body_html = uploads.enhance_body(db.session, page.body_html, site_url)
    if posts or pages:
        # The pages change; the feeds' text barely does (no WebSub ping, no Webmention).
        mark_site_changed(db.session)


def unused(media: Media) -> bool:
    """Whether no post or page shows the file (only then may it be deleted)."""
    posts, pages = uploads.used_by(db.session, media)
    return not posts and not pages
