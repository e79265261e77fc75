"""Related posts worked out at write time (by shared tags), filled for the posts stored

Revision ID: f3c4d5e6a7b8
Revises: f2b3c4d5e6a7
Create Date: 2026-12-07 08:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3c4d5e6a7b8"
down_revision = "f2b3c4d5e6a7"
branch_labels = None
depends_on = None

BEST = (
    "SELECT pt.post_id, count(*) AS shared FROM post_tags pt JOIN posts p ON p.id = pt.post_id "
    "WHERE pt.tag_id IN (SELECT tag_id FROM post_tags WHERE post_id = :id) "
    "AND pt.post_id != :id AND p.is_draft = false "
    "GROUP BY pt.post_id, p.published_at ORDER BY shared DESC, p.published_at DESC, "
    "pt.post_id DESC LIMIT 3"
)


def upgrade():
    op.create_table(
        "related_posts",
        sa.Column(
            "post_id",
            sa.Integer(),
            sa.ForeignKey("posts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rank", sa.Integer(), primary_key=True),
        sa.Column(
            "related_id",
            sa.Integer(),
            sa.ForeignKey("posts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("shared", sa.Integer(), nullable=False),
    )
    bind = op.get_bind()
    for (post_id,) in bind.execute(sa.text("SELECT id FROM posts")).all():
        best = bind.execute(sa.text(BEST), {"id": post_id}).all()
        for rank, (other, shared) in enumerate(best, start=1):
            bind.execute(
                sa.text(
                    "INSERT INTO related_posts (post_id, rank, related_id, shared) "
                    "VALUES (:p, :r, :o, :s)"
                ),
                {"p": post_id, "r": rank, "o": other, "s": shared},
            )


def downgrade():
    op.drop_table("related_posts")
