"""Benchmark a bulk load: papers stored with their terms and embedded, one step after the
other (`ingest file --no-embed`, then `embed`) against embedding beside storing (what
`paperwire ingest file` does for large inputs: paperwire/ingest/pipeline.py).

Run from the repository root:

    .venv/bin/python bench/run_bulk_load.py [--papers 136936] [--out bench/results/bulk_load.json]
        [--ways sequential,pipeline] [--keep DIR]

The input is the two shared AI listing files as one JSON Lines file. Past their 136,936
papers (--papers 1000000), the same real papers are repeated with new arXiv ids (numbers
90000-99999 within each month from 2015-01 on): COPIED metadata, real text. Each way
loads into a fresh SQLite database; the table gives seconds, papers per second and peak
resident memory of the loading process. Target: 1M papers in
<= 10 min on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import RESULTS_DIR, SHARED_DATA, machine_info, write_json

from paperwire.config import SQLITE_FILE_NAME
from paperwire.ingest.files import ingest_files
from paperwire.ingest.pipeline import ingest_and_embed
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.embeddings import count_embeddings
from paperwire.storage.paper_terms import count_terms
from paperwire.storage.papers import count_papers

LISTING_FILES = ("cs-ai-2024-2026.jsonl.gz", "cs-cv-cl-ai-2025-2026.jsonl.gz")
TARGET_MILLION_SECONDS = 600.0
MODEL = "bundled"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-dir", type=Path, default=SHARED_DATA / "arxiv")
    parser.add_argument("--papers", type=int, default=136_936, help="papers to load")
    parser.add_argument(
        "--ways",
        default="sequential,pipeline",
        help="comma-separated: sequential (store, then embed), pipeline (side by side)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "bulk_load.json")
    parser.add_argument(
        "--keep",
        type=Path,
        help="a data folder (PAPERWIRE_DATA_DIR) to load into and keep, for bench/run_scale.py;"
        " the last of --ways loads there",
    )
    return parser.parse_args(argv)


def write_input(papers_dir: Path, wanted: int, out: Path) -> int:
    """The listings as one file of `wanted` records (real ones, then renumbered copies)."""
    records = list(_distinct_records(papers_dir))
    with out.open("w", encoding="utf-8") as handle:
        for n in range(wanted):
            record = records[n % len(records)]
            if n >= len(records):  # a copy: an id arXiv has not given (9xxxx of a month)
                record = record | {"id": copy_id(n - len(records)), "version_id": None}
                record["version_id"] = record["id"]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return wanted


def copy_id(copy: int) -> str:
    """The id of the copy-th copy: numbers 90000-99999 of the months from 2015-01 on, far
    above what arXiv has used in any of them (10,000 a month, 1.44M in all)."""
    month, number = divmod(copy, 10_000)
    year, month_of_year = divmod(month, 12)
    return f"{15 + year:02d}{month_of_year + 1:02d}.{90_000 + number:05d}v1"


def _distinct_records(papers_dir: Path) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    for name in LISTING_FILES:
        with gzip.open(papers_dir / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                key = re.sub(r"v\d+$", "", record["id"])
                if key not in seen:
                    seen.add(key)
                    yield record


def one_after_the_other(db: Database, source: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report = ingest_files(db, [source])
    stored = time.perf_counter()
    embedded = embed_pending(db, load_embedder(MODEL)).embedded
    ended = time.perf_counter()
    return _row("store, then embed", db, report.counts.added, embedded, started, ended) | {
        "store_s": round(stored - started, 1),
        "embed_s": round(ended - stored, 1),
    }


def side_by_side(db: Database, url: str, source: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report, embedded = ingest_and_embed(db, url, MODEL, [source])
    return _row(
        "embed beside storing", db, report.counts.added, embedded or 0, started, time.perf_counter()
    )


def _row(
    label: str, db: Database, added: int, embedded: int, started: float, ended: float
) -> dict[str, Any]:
    seconds = ended - started
    assert count_embeddings(db, load_embedder(MODEL).name) == count_papers(db) == added
    assert count_terms(db) == added
    return {
        "way": label,
        "papers": added,
        "embedded": embedded,
        "seconds": round(seconds, 1),
        "papers_per_s": round(added / seconds),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process. (A child's figure is not given: a spawned
    process is forked before it runs anew, so the kernel counts this process's size.)"""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [name for name in LISTING_FILES if not (args.papers_dir / name).is_file()]
    if missing:
        print(f"skipped: shared data file {args.papers_dir / missing[0]} is missing")
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="paperwire-bulk-") as scratch:
        folder = Path(scratch)
        source = folder / "papers.jsonl"
        write_input(args.papers_dir, args.papers, source)
        ways = args.ways.split(",")
        for way in ways:
            url = f"sqlite:///{folder / way}.sqlite3"
            if args.keep is not None and way == ways[-1]:
                args.keep.mkdir(parents=True, exist_ok=True)
                url = f"sqlite:///{args.keep.resolve() / SQLITE_FILE_NAME}"
            db = Database.open(url)
            db.upgrade()
            rows.append(
                one_after_the_other(db, source)
                if way == "sequential"
                else side_by_side(db, url, source)
            )
            db.close()
            print(rows[-1], flush=True)
    results = {
        "benchmark": "bulk_load",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "papers": args.papers,
        "copied_papers": max(0, args.papers - 136_936),
        "runs": rows,
        "peak_rss_mb": peak_rss_mb(),
    }
    if len(rows) == 2:
        results["speedup"] = round(rows[0]["seconds"] / rows[1]["seconds"], 2)
    report(results)
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


def report(results: dict[str, Any]) -> None:
    print(
        f"\n{results['papers']:,} papers ({results['copied_papers']:,} of them COPIED with new ids)"
    )
    print(f"{'way':<24} {'seconds':>9} {'papers/s':>9}")
    for row in results["runs"]:
        print(f"{row['way']:<24} {row['seconds']:>9.1f} {row['papers_per_s']:>9,}")
    if "speedup" in results:
        print(f"speed-up {results['speedup']:.2f}x")
    print(f"peak RSS of this process {results['peak_rss_mb']} MB")
    per_million = results["runs"][-1]["seconds"] * 1_000_000 / results["papers"]
    target = TARGET_MILLION_SECONDS / 60
    way = results["runs"][-1]["way"]
    print(f"{way} at this rate, 1M papers: {per_million / 60:.1f} min (target <= {target:.0f})")


if __name__ == "__main__":
    sys.exit(main())
