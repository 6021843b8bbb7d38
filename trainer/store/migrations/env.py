"""Alembic environment: always given an open connection by trainer.store.migrate (never a URL from an ini file)."""
from __future__ import annotations

from alembic import context

from trainer.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through trainer.store.open_store, which passes the connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
