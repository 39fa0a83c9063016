"""Events and admin users.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("visit_id", sa.String(32), nullable=True),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("article_id", sa.String(255), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("query", sa.String(500), nullable=True),
        sa.Column("result_count", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_events_created_at", "events", ["created_at"])
    op.create_index("ix_events_visit", "events", ["visit_id", "created_at"])
    op.create_index("ix_events_type_created", "events", ["type", "created_at"])
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("admin_users")
    op.drop_table("events")
