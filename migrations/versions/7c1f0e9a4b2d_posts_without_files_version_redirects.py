"""posts without files: version, imported_version, body_source; automatic redirects

A post may now exist without a source file (the editor, Micropub): `source_key` may be
null. `version` grows with every change (the editor's optimistic locking);
`imported_version` is the version the last import wrote, so a larger `version` means the
post was edited in the app since. `redirects.automatic` marks the old permalinks the app
keeps by itself, apart from the author's own `redirect_from`.

Revision ID: 7c1f0e9a4b2d
Revises: a1c7e2f0b9d4
Create Date: 2026-12-02 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c1f0e9a4b2d"
down_revision = "a1c7e2f0b9d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts") as batch:
        batch.alter_column("source_key", existing_type=sa.String(length=500), nullable=True)
        batch.add_column(sa.Column("body_source", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("imported_version", sa.Integer(), nullable=True))
    # Every post so far came from a file and is as that file made it.
    op.execute("UPDATE posts SET imported_version = version WHERE source_key IS NOT NULL")
    with op.batch_alter_table("redirects") as batch:
        batch.add_column(
            sa.Column("automatic", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("redirects") as batch:
        batch.drop_column("automatic")
    op.execute("DELETE FROM posts WHERE source_key IS NULL")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("imported_version")
        batch.drop_column("version")
        batch.drop_column("body_source")
        batch.alter_column("source_key", existing_type=sa.String(length=500), nullable=False)
