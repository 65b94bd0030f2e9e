"""The bundled demo corpus: real CC0 arXiv metadata and a real upvote snapshot."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from paperwire.ingest.files import IngestReport, ingest_files
from paperwire.storage import Database

# Listing records first, then the snapshot, so upvoted papers keep their categories.
DEMO_FILES = (
    "cs-ai-2024-03-15-to-2024-04-05.jsonl.gz",
    "upvotes-snapshot-2024-04-08.json.gz",
)


def demo_paths() -> list[Path]:
    folder = resources.files(__package__)
    return [Path(str(folder.joinpath(name))) for name in DEMO_FILES]


def load_demo(db: Database) -> IngestReport:
    """Ingest the demo papers; rerunning it changes nothing."""
    return ingest_files(db, demo_paths())
