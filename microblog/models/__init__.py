"""Database models, one module per aggregate, and the reusable queries over them.

Importing this package registers every table (the migrations and `db.create_all` see them
all); the names are re-exported so callers write `from microblog.models import Post`.
"""

from __future__ import annotations

from microblog.models.accounts import Author
from microblog.models.comments import Comment, CommentStatus, status_type
from microblog.models.fediverse import (
    ActorKey,
    Block,
    FederatedPost,
    Follower,
    Reaction,
    RemoteActor,
    RemoteReply,
)
from microblog.models.jobs import Job, JobState
from microblog.models.mail import MailOptOut, ReplySubscription
from microblog.models.media import Media
from microblog.models.openweb import SentWebmention, Webmention
from microblog.models.pages import Page, SiteSetting
from microblog.models.posts import (
    Category,
    Post,
    PostTombstone,
    Redirect,
    Tag,
    post_categories,
    post_tags,
    posts_table,
    related_posts,
    tags_table,
)
from microblog.models.site import GENERATION_SQL, NO_SYNC, SiteState
from microblog.models.tokens import AccessToken, AuthorizationCode

__all__ = [
    "GENERATION_SQL",
    "NO_SYNC",
    "AccessToken",
    "ActorKey",
    "AuthorizationCode",
    "Author",
    "Block",
    "Category",
    "Comment",
    "FederatedPost",
    "Follower",
    "CommentStatus",
    "Job",
    "JobState",
    "MailOptOut",
    "Media",
    "Page",
    "Post",
    "PostTombstone",
    "Reaction",
    "Redirect",
    "RemoteActor",
    "RemoteReply",
    "ReplySubscription",
    "SentWebmention",
    "SiteSetting",
    "SiteState",
    "Tag",
    "Webmention",
    "post_categories",
    "post_tags",
    "posts_table",
    "related_posts",
    "status_type",
    "tags_table",
]
