"""site_state notifies: on PostgreSQL, every change of the counter is announced on the
`site_changed` channel (pg_notify, delivered at commit), so that each app process hears of
it instead of asking the database on every request (microblog/generation.py). Nothing on
SQLite.

Revision ID: d4e8f1a2b3c5
Revises: 7c1f0e9a4b2d
Create Date: 2026-12-02 06:50:00

"""

from alembic import op

revision = "d4e8f1a2b3c5"
down_revision = "7c1f0e9a4b2d"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION site_state_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('site_changed', NEW.generation::text);
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER site_state_changed AFTER UPDATE ON site_state "
        "FOR EACH ROW EXECUTE FUNCTION site_state_notify()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS site_state_changed ON site_state")
    op.execute("DROP FUNCTION IF EXISTS site_state_notify()")
