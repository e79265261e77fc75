"""Notes (posts without a title) written in the same second get addresses of their own."""

from __future__ import annotations

from dataclasses import replace

from microblog.posts.writer import PostInput, PostWriter, note_slug


def with_free_address(writer: PostWriter, post: PostInput) -> PostInput:
    """A new note whose date-and-time address is taken gets `-2`, `-3`… after it.

    Only for a new post that names neither title, slug nor permalink: anything the author
    chose stays as chosen (and a clash with it is refused, naming the other post).
    """
    if post.title or post.slug or post.permalink:
        return post
    base = note_slug(post.published_at, writer.settings)
    candidate = post
    for number in range(2, 100):
        if writer.index.at_permalink(writer.permalink_for(candidate)) is None:
            return candidate
        candidate = replace(post, slug=f"{base}-{number}")
    return candidate
