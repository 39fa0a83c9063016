"""Editors' session version (sign-out, a new password or removal ends every session) and the
contact form's one-time id (a double submission stores one handoff).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("form_id", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_handoffs_form_id", ["form_id"])


def downgrade():
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint("uq_handoffs_form_id", type_="unique")
        batch.drop_column("form_id")
    with op.batch_alter_table("admin_users") as batch:
        batch.drop_column("session_version")
