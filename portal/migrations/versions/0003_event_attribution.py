"""Events: the 24-hour attribution id (docs/deflection.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("attribution_id", sa.String(32), nullable=True))
    op.create_index("ix_events_attribution", "events", ["attribution_id", "created_at"])


def downgrade():
    op.drop_index("ix_events_attribution", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("attribution_id")
