"""Alembic migrations of the workspace database (applied on open)."""
