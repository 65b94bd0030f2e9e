"""Storage: the only package that speaks SQL. Everything else calls its domain functions."""

from paperwire.storage.database import Database, SchemaBehind, StorageError

__all__ = ["Database", "SchemaBehind", "StorageError"]
