"""tags.published_once: the tag has carried a published post (its feeds stay, empty)

Revision ID: d3f1a7c9e2b5
Revises: c3d9e8f1a2b4
Create Date: 2026-12-02 07:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d3f1a7c9e2b5"
down_revision = "c3d9e8f1a2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tags") as batch:
        batch.add_column(
            sa.Column("published_once", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Every tag with a post published now has had one. (Earlier publications left no trace;
    # a tag whose posts are all drafts today keeps answering 404, as it did.)
    tags = sa.table("tags", sa.column("id"), sa.column("published_once", sa.Boolean()))
    posts = sa.table(
        "posts",
        sa.column("id"),
        sa.column("is_draft", sa.Boolean()),
        sa.column("published_at", sa.DateTime()),
    )
    post_tags = sa.table("post_tags", sa.column("post_id"), sa.column("tag_id"))
    has_published_post = (
        sa.exists()
        .where(post_tags.c.tag_id == tags.c.id, post_tags.c.post_id == posts.c.id)
        .where(posts.c.is_draft == sa.false(), posts.c.published_at <= sa.func.current_timestamp())
    )
    op.execute(tags.update().where(has_published_post).values(published_once=True))


def downgrade():
    with op.batch_alter_table("tags") as batch:
        batch.drop_column("published_once")
