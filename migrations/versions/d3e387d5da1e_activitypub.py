"""ActivityPub: the actor's keys, followers, blocks, remote actors' keys and inboxes,
replies and reactions from the fediverse, and the posts federated

Revision ID: d3e387d5da1e
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 08:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d3e387d5da1e"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "activitypub_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_blocks")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_activitypub_blocks_kind")),
    )
    op.create_table(
        "activitypub_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_url", sa.String(length=1000), nullable=False),
        sa.Column("inbox", sa.String(length=1000), nullable=False),
        sa.Column("shared_inbox", sa.String(length=1000), nullable=True),
        sa.Column("handle", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("profile_url", sa.String(length=1000), nullable=True),
        sa.Column("follow_id", sa.String(length=1000), nullable=False),
        sa.Column("accepted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_followers")),
        sa.UniqueConstraint("actor_url", name=op.f("uq_activitypub_followers_actor_url")),
    )
    op.create_table(
        "activitypub_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_keys")),
    )
    op.create_table(
        "activitypub_posts",
        sa.Column("object_id", sa.String(length=1000), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("permalink", sa.String(length=1000), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_activitypub_posts")),
    )
    with op.batch_alter_table("activitypub_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activitypub_posts_permalink"), ["permalink"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activitypub_posts_post_id"), ["post_id"], unique=False)

    op.create_table(
        "activitypub_remote_actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_url", sa.String(length=1000), nullable=False),
        sa.Column("key_id", sa.String(length=1000), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("inbox", sa.String(length=1000), nullable=False),
        sa.Column("shared_inbox", sa.String(length=1000), nullable=True),
        sa.Column("handle", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("profile_url", sa.String(length=1000), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_remote_actors")),
        sa.UniqueConstraint("actor_url", name=op.f("uq_activitypub_remote_actors_actor_url")),
    )
    with op.batch_alter_table("activitypub_remote_actors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activitypub_remote_actors_key_id"), ["key_id"], unique=False
        )

    op.create_table(
        "activitypub_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_url", sa.String(length=1000), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_activitypub_reactions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_reactions")),
        sa.UniqueConstraint(
            "post_id", "kind", "actor_url", name=op.f("uq_activitypub_reactions_post_id")
        ),
    )
    with op.batch_alter_table("activitypub_reactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activitypub_reactions_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "activitypub_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.String(length=1000), nullable=False),
        sa.Column("actor_url", sa.String(length=1000), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_activitypub_replies_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activitypub_replies")),
        sa.UniqueConstraint("note_id", name=op.f("uq_activitypub_replies_note_id")),
    )
    with op.batch_alter_table("activitypub_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activitypub_replies_comment_id"), ["comment_id"], unique=False
        )


def downgrade():
    op.drop_table("activitypub_replies")
    op.drop_table("activitypub_reactions")
    op.drop_table("activitypub_remote_actors")
    op.drop_table("activitypub_posts")
    op.drop_table("activitypub_keys")
    op.drop_table("activitypub_followers")
    op.drop_table("activitypub_blocks")
