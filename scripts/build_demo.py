"""Rebuild the demo corpus in src/paperwire/demo/ from ../shared/data (docs/demo-data.md)."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "paperwire" / "demo"
SNAPSHOT = DATA / "hf-daily-papers" / "upvotes-snapshot-2024-04-08.json"
LISTING = DATA / "arxiv" / "cs-ai-2024-2026.jsonl.gz"
# Three weeks of cs.AI submissions ending with the snapshot's day.
FIRST = datetime(2024, 3, 15, 18, 0, tzinfo=UTC)
LAST = datetime(2024, 4, 5, 18, 0, tzinfo=UTC)
# arXiv numbers a paper by the month it is announced: a paper submitted in these weeks but
# held back and numbered 2405 or later was announced after the snapshot, so it is left out.
LAST_ID_MONTH = "2404"


def _gzip_out(name: str) -> gzip.GzipFile:
    # mtime=0 keeps rebuilt files byte-identical.
    return gzip.GzipFile(OUT / name, "wb", compresslevel=9, mtime=0)


def main() -> None:
    if not SNAPSHOT.exists():
        sys.exit(f"{SNAPSHOT} is missing: the demo is built from the shared data folder")
    snapshot_ids = set(json.loads(SNAPSHOT.read_text()))
    with _gzip_out("upvotes-snapshot-2024-04-08.json.gz") as out:
        out.write(SNAPSHOT.read_bytes())
    kept = 0
    with (
        gzip.open(LISTING, "rt") as source,
        _gzip_out("cs-ai-2024-03-15-to-2024-04-05.jsonl.gz") as out,
    ):
        for line in source:
            record = json.loads(line)
            published = datetime.strptime(record["published"], "%Y-%m-%d %H:%M:%S UTC")
            published = published.replace(tzinfo=UTC)
            announced_by_snapshot = record["id"][:4] <= LAST_ID_MONTH
            if (FIRST <= published < LAST and announced_by_snapshot) or record[
                "id"
            ] in snapshot_ids:
                out.write(line.encode())
                kept += 1
    print(f"kept {kept} listing records and {len(snapshot_ids)} snapshot entries ({date.today()})")


if __name__ == "__main__":
    main()
