"""A stored post back as a `PostInput`: what an editor form or Micropub's `q=source` shows."""

from __future__ import annotations

from pathlib import PurePath

from microblog.jekyll import fields
from microblog.jekyll.errors import NotAPost, PostError, PostNotFound
from microblog.jekyll.files import is_markdown
from microblog.jekyll.front_matter import split_front_matter
from microblog.jekyll.post_input import PostInput
from microblog.models import Post
from microblog.posts.index import SessionLike


def written_body(post: Post) -> str:
    """The body as the author wrote it; for a post imported before `body_source` existed,
    the body of its file (until its next import stores it)."""
    if post.body_source or not post.source_text:
        return post.body_source
    try:
        return split_front_matter(post.source_text.replace("\r\n", "\n"))[1]
    except (NotAPost, PostError):
        return post.source_text


def stored_input(session: SessionLike, post_id: int) -> PostInput:
    """The post with this id as a PostInput (its body as written, its own redirects)."""
    post = session.get(Post, post_id)
    if post is None:
        raise PostNotFound(f"no post has the id {post_id}")
    declared = [r.path for r in post.redirects if not r.automatic]
    front_matter = dict(post.front_matter or {})
    return PostInput(
        title=post.title,
        body=written_body(post),
        published_at=post.published_at,
        permalink=post.permalink,
        slug=post.slug,
        is_markdown=is_markdown(PurePath(post.source_key)) if post.source_key else True,
        tag_names=list(post.tag_names),
        categories=list(post.categories),
        is_draft=post.is_draft,
        comments_enabled=post.comments_enabled,
        excerpt=fields.excerpt_of(front_matter),
        excerpt_separator=fields.excerpt_separator_of(front_matter),
        redirect_from=declared,
        last_modified_at=post.last_modified_at,
        front_matter=front_matter,
    )
