"""Learned questions: what visitors asked before they found an article another way
(docs/deflection.md, "Learned questions").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "learned_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("article_id", sa.String(255), nullable=False),
        sa.Column("query_key", sa.String(500), nullable=False),
        sa.Column("query", sa.String(500), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("locale", "query_key", "article_id", name="uq_learned_question"),
    )
    op.create_index("ix_learned_questions_status", "learned_questions", ["status", "locale"])


def downgrade():
    op.drop_index("ix_learned_questions_status", table_name="learned_questions")
    op.drop_table("learned_questions")
