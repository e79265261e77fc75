"""Search checks that each match is published from a small index on (id, is_draft,
published_at), not from the posts' wide rows

Revision ID: a7c9e1f3b5d2
Revises: f4d5e6a7b8c9
Create Date: 2026-12-07 10:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c9e1f3b5d2"
down_revision = "f4d5e6a7b8c9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_search_visibility", "posts", ["id", "is_draft", "published_at"])


def downgrade():
    op.drop_index("ix_posts_search_visibility", table_name="posts")
