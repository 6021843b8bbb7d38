"""Alembic migration environment of the tracker's database (run by trainer.store.migrate)."""
