"""The tracker's storage: users, weekly checks, diary entries and sessions with their raw samples, in SQLite or
PostgreSQL (docs/program.md, "Storage" and "Sessions").

`open_store(url)` resolves the URL (argument, else BALANCE_TRAINER_DB, else tracker.db in the data folder), makes
a SQLite file owner-only, and upgrades the schema to the newest migration.
"""
from __future__ import annotations

from trainer.store.database import Store, StoreError, default_url, open_store, resolve_url

__all__ = ["Store", "StoreError", "default_url", "open_store", "resolve_url"]
