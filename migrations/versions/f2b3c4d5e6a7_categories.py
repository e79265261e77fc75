"""Categories as rows (a category page and its feeds are lookups), filled from the posts'
`categories`

Revision ID: f2b3c4d5e6a7
Revises: d3e387d5da1e
Create Date: 2026-12-07 08:30:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2b3c4d5e6a7"
down_revision = "d3e387d5da1e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "post_categories",
        sa.Column(
            "post_id",
            sa.Integer(),
            sa.ForeignKey("posts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "category_id",
            sa.Integer(),
            sa.ForeignKey("categories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index(
        "ix_post_categories_category_id_post_id",
        "post_categories",
        ["category_id", "post_id"],
    )
    fill(op.get_bind())


def fill(bind):
    """File the posts already stored (the writer keeps it in step from now on)."""
    from slugify import slugify

    ids: dict[str, int] = {}
    for post_id, categories in bind.execute(sa.text("SELECT id, categories FROM posts")).all():
        if isinstance(categories, str):
            categories = json.loads(categories or "[]")
        linked = set()
        for name in categories or []:
            slug = slugify(str(name)) or "tag"
            if not slug or slug in linked:
                continue
            if slug not in ids:
                ids[slug] = bind.execute(
                    sa.text("INSERT INTO categories (name, slug) VALUES (:n, :s) RETURNING id"),
                    {"n": str(name)[:200], "s": slug},
                ).scalar_one()
            bind.execute(
                sa.text("INSERT INTO post_categories (post_id, category_id) VALUES (:p, :c)"),
                {"p": post_id, "c": ids[slug]},
            )
            linked.add(slug)


def downgrade():
    op.drop_table("post_categories")
    op.drop_table("categories")
