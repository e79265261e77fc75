"""The navigation's pages read in order from an index (every page shows the navigation)

Revision ID: f4d5e6a7b8c9
Revises: f3c4d5e6a7b8
Create Date: 2026-12-07 08:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f4d5e6a7b8c9"
down_revision = "f3c4d5e6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_pages_navigation", "pages", ["nav_order", "title", "id"])


def downgrade():
    op.drop_index("ix_pages_navigation", table_name="pages")
