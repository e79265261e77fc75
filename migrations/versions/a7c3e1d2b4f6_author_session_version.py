"""authors.session_version: sign-out and a new password end every session

Revision ID: a7c3e1d2b4f6
Revises: c4d8f1a2e6b7
Create Date: 2026-12-02 05:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e1d2b4f6"
down_revision = "c4d8f1a2e6b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authors") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade():
    with op.batch_alter_table("authors") as batch_op:
        batch_op.drop_column("session_version")
