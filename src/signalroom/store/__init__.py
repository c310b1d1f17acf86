"""The warehouse: the only package that speaks SQL."""

from signalroom.store.warehouse import DEFAULT_DB, ENV_DB, LoadSummary, Store, StoreError, WriteCounts

__all__ = ["DEFAULT_DB", "ENV_DB", "LoadSummary", "Store", "StoreError", "WriteCounts"]
