"""A new post whose address is taken gets one of its own: `-2`, `-3`… after its slug."""

from __future__ import annotations

from dataclasses import replace

from microblog.posts.writer import PostInput, PostWriter


def with_free_address(writer: PostWriter, post: PostInput) -> PostInput:
    """A new post whose address is taken gets `-2`, `-3`… after its slug.

    Notes written in the same second, and titled posts with the same title in the same
    month (the default `/posts/:year/:month/:title/`), both get addresses of their own.
    Only for a post that names neither slug nor permalink: anything the author chose stays
    as chosen (and a clash with it is refused, naming the other post).
    """
    if post.slug or post.permalink:
        return post
    base = writer.slug_for(post)
    candidate = post
    for number in range(2, 100):
        if writer.index.at_permalink(writer.permalink_for(candidate)) is None:
            return candidate
        candidate = replace(post, slug=f"{base}-{number}")
    return candidate
