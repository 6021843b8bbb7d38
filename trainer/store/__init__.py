"""The tracker's storage: users, weekly checks and diary entries in SQLite (docs/program.md, "Storage").

`open_store(url)` resolves the URL (argument, else BALANCE_TRAINER_DB, else tracker.db in the data folder), makes
the file owner-only, and upgrades the schema to the newest migration. PostgreSQL is not supported yet.
"""
from __future__ import annotations

from trainer.store.database import Store, StoreError, default_url, open_store, resolve_url

__all__ = ["Store", "StoreError", "default_url", "open_store", "resolve_url"]
