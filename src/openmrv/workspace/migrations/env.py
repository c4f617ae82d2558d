"""Alembic's environment: runs the migrations on the connection that
:func:`openmrv.workspace.db.open_db` hands over (``config.attributes['connection']``)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
