"""IndieAuth (authorization codes, the app a token was given to), post tombstones (410 Gone,
undelete), the Webmentions sent (to notify again when a link goes)

Revision ID: e5a1c7d3b9f2
Revises: e5a9c2d7f1b3
Create Date: 2026-12-07 08:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5a1c7d3b9f2"
down_revision = "e5a9c2d7f1b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("access_tokens") as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(1000), nullable=True))
        batch_op.add_column(sa.Column("client_name", sa.String(200), nullable=True))
    op.create_table(
        "authorization_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "author_id",
            sa.Integer(),
            sa.ForeignKey("authors.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("client_id", sa.String(1000), nullable=False),
        sa.Column("client_name", sa.String(200), nullable=True),
        sa.Column("redirect_uri", sa.String(1000), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "post_tombstones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("permalink", sa.String(1000), nullable=False, unique=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sent_webmentions",
        sa.Column("source", sa.String(1000), primary_key=True),
        sa.Column("target", sa.String(1000), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("sent_webmentions")
    op.drop_table("post_tombstones")
    op.drop_table("authorization_codes")
    with op.batch_alter_table("access_tokens") as batch_op:
        batch_op.drop_column("client_name")
        batch_op.drop_column("client_id")
