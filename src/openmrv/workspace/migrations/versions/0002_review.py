"""Reviewer work and deletable activity rows: comments and QC check marks (each a versioned
record), and a ``deleted`` flag on activity rows (a deleted row is kept and restorable).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")


def upgrade() -> None:
    """Add the review tables and the activity rows' ``deleted`` flag."""
    with op.batch_alter_table("activity_rows") as batch:
        batch.add_column(sa.Column("deleted", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "review_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        _version(),
    )
    op.create_index(
        "ix_review_comments_target", "review_comments", ["case_id", "target_kind", "target"]
    )
    op.create_table(
        "qc_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("check_id", sa.String(40), nullable=False),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        _version(),
        sa.UniqueConstraint("case_id", "check_id", "target_kind", "target"),
    )


def downgrade() -> None:
    """Drop the review tables and the ``deleted`` flag."""
    op.drop_table("qc_checks")
    op.drop_index("ix_review_comments_target", "review_comments")
    op.drop_table("review_comments")
    with op.batch_alter_table("activity_rows") as batch:
        batch.drop_column("deleted")
