"""media, pages, site_settings; comments.by_author

Revision ID: e5a9c2d7f1b3
Revises: a7c3e1d2b4f6
Create Date: 2026-12-07 07:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a9c2d7f1b3"
down_revision = "a7c3e1d2b4f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("path", name=op.f("uq_media_path")),
    )
    op.create_index(op.f("ix_media_sha256"), "media", ["sha256"])
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=500), nullable=True),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("permalink", sa.String(length=1000), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("markup", sa.String(length=20), nullable=False),
        sa.Column("nav_order", sa.Integer(), nullable=True),
        sa.Column("is_not_found", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("front_matter", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("imported_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("source_key", name=op.f("uq_pages_source_key")),
        sa.UniqueConstraint("permalink", name=op.f("uq_pages_permalink")),
    )
    op.create_table(
        "site_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_settings")),
    )
    with op.batch_alter_table("comments") as batch:
        batch.add_column(
            sa.Column("by_author", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("by_author")
    op.drop_table("site_settings")
    op.drop_table("pages")
    op.drop_index(op.f("ix_media_sha256"), table_name="media")
    op.drop_table("media")
