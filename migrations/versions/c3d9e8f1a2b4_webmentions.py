"""webmentions received, and a comment's source page

Revision ID: c3d9e8f1a2b4
Revises: d4e8f1a2b3c5
Create Date: 2026-12-02 07:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3d9e8f1a2b4"
down_revision = "d4e8f1a2b3c5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_url", sa.String(length=1000), nullable=True))
    op.create_table(
        "webmentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("author_url", sa.String(length=1000), nullable=True),
        sa.Column("author_photo", sa.String(length=1000), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_webmentions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_webmentions_comment_id_comments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webmentions")),
        sa.UniqueConstraint("post_id", "source", name=op.f("uq_webmentions_post_id")),
    )
    with op.batch_alter_table("webmentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webmentions_comment_id"), ["comment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("webmentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webmentions_comment_id"))
    op.drop_table("webmentions")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("source_url")
