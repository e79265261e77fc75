"""reply subscriptions, mail opt-outs, the author's feed generation

Revision ID: c4d8f1a2e6b7
Revises: d3f1a7c9e2b5
Create Date: 2026-12-02 06:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4d8f1a2e6b7"
down_revision = "d3f1a7c9e2b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authors") as batch:
        batch.add_column(
            sa.Column("feed_generation", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "reply_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_reply_subscriptions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_subscriptions")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_reply_subscriptions_comment_id")),
    )
    op.create_index("ix_reply_subscriptions_email", "reply_subscriptions", ["email"], unique=False)
    op.create_table(
        "mail_opt_outs",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_mail_opt_outs")),
    )


def downgrade():
    op.drop_table("mail_opt_outs")
    op.drop_index("ix_reply_subscriptions_email", table_name="reply_subscriptions")
    op.drop_table("reply_subscriptions")
    with op.batch_alter_table("authors") as batch:
        batch.drop_column("feed_generation")
